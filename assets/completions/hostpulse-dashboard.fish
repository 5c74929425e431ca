complete -c hostpulse-dashboard -l token-file -d 'File holding the bearer token the hosts given here want (for servers started with a token). The token itself never goes on the command line' -r -F
complete -c hostpulse-dashboard -s h -l help -d 'Print help'
complete -c hostpulse-dashboard -s V -l version -d 'Print version'
