//! Reading what the UI shows, for `egui_kittest` tests: the words of the
//! widgets whose label contains some text, in the order they are on screen.

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};

/// The words of every widget whose label contains `text`, top to bottom: the
/// label, or for a plain text label (whose words are its value) the value.
pub fn top_to_bottom<State>(harness: &Harness<'_, State>, text: &str) -> Vec<String> {
    let mut found: Vec<(f32, String)> = harness
        .query_all_by_label_contains(text)
        .map(|node| {
            (
                node.rect().top(),
                node.accesskit_node()
                    .label()
                    .filter(|l| !l.is_empty())
                    .or_else(|| node.value())
                    .unwrap_or_default(),
            )
        })
        .collect();
    found.sort_by(|a, b| a.0.total_cmp(&b.0));
    found.into_iter().map(|(_, words)| words).collect()
}
