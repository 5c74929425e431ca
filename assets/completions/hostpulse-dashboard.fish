complete -c hostpulse-dashboard -l token-file -d 'File holding the bearer token of servers started with a token. It is presented to the hosts named here, and to every remembered host that has no token of its own once that host asks for one (answers 401); a server that wants no token never sees it. The token itself never goes on the command line' -r -F
complete -c hostpulse-dashboard -l test-notification -d 'Send one test notification to the desktop\'s notification service and exit: 0 when it was taken, 1 (saying why) when no service answers'
complete -c hostpulse-dashboard -s h -l help -d 'Print help'
complete -c hostpulse-dashboard -s V -l version -d 'Print version'
