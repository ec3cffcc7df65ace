//! Terminal prompts (dialoguer) and the rule for when they may be shown: stdin
//! and stderr both terminals, and neither --yes nor --no-input.

use std::io::IsTerminal;

use dialoguer::theme::{ColorfulTheme, SimpleTheme, Theme};
use dialoguer::{Editor, Input};

use crate::error;
use crate::render::no_color_env;

pub struct Prompter {
    theme: Box<dyn Theme>,
    term: console::Term,
}

/// A prompter when prompting is allowed, None when the command must not wait on input.
pub fn prompter(yes: bool, no_input: bool) -> Option<Prompter> {
    let terminal = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    if yes || no_input || !terminal {
        return None;
    }
    let theme: Box<dyn Theme> = if no_color_env() { Box::new(SimpleTheme) } else { Box::new(ColorfulTheme::default()) };
    Some(Prompter { theme, term: console::Term::stderr() })
}

fn aborted(e: dialoguer::Error) -> anyhow::Error {
    error::bad_input(format!("prompt aborted: {e}"))
}

impl Prompter {
    pub fn say(&self, text: &str) {
        // A failed write to the terminal is not worth failing the command for.
        let _ = self.term.write_line(text);
    }

    /// Choose one of `items` (key, label); returns the key. The items are listed
    /// and numbered, and the answer is a whole line: a number, a key, or the start
    /// of one key (typing a key never moves a cursor); Enter takes the first.
    pub fn select(&self, prompt: &str, items: &[(String, String)]) -> anyhow::Result<String> {
        let Some((first, _)) = items.first() else {
            return Err(error::bad_input(format!("{prompt}: there is nothing to choose from")));
        };
        // A line longer than the terminal would wrap in the middle of a word: cut it at one.
        let width = usize::from(self.term.size().1).saturating_sub(4).max(20);
        self.say(prompt);
        for (i, (k, l)) in items.iter().enumerate() {
            self.say(&fit(&format!("  {}) {k}: {l}", i + 1), width));
        }
        let hint = format!("a number from 1 to {}, or a key", items.len());
        let line = Input::<String>::with_theme(self.theme.as_ref())
            .with_prompt(format!("Choose ({hint})"))
            .default(first.clone())
            .validate_with(|s: &String| match choice(items, s) {
                Some(_) => Ok(()),
                None => Err(format!("not one of the choices: type {hint} (or the start of one)")),
            })
            .interact_text_on(&self.term)
            .map_err(aborted)?;
        let i = choice(items, &line).unwrap_or(0);
        Ok(items[i].0.clone())
    }

    pub fn text(&self, prompt: &str) -> anyhow::Result<String> {
        Input::<String>::with_theme(self.theme.as_ref())
            .with_prompt(prompt)
            .allow_empty(true)
            .interact_text_on(&self.term)
            .map_err(aborted)
    }

    /// A line of text that must not be empty: an empty line is told so and asked again.
    pub fn required(&self, prompt: &str) -> anyhow::Result<String> {
        Input::<String>::with_theme(self.theme.as_ref())
            .with_prompt(prompt)
            .allow_empty(true)
            .validate_with(|s: &String| match s.trim().is_empty() {
                true => Err("this is required: type an answer (Ctrl-C cancels the command)"),
                false => Ok(()),
            })
            .interact_text_on(&self.term)
            .map_err(aborted)
    }

    /// A line of text, or the editor when the line is left empty.
    pub fn long_text(&self, prompt: &str) -> anyhow::Result<String> {
        let line = self.text(&format!("{prompt} (leave empty to open $EDITOR)"))?;
        if !line.trim().is_empty() {
            return Ok(line);
        }
        let edited = Editor::new().edit("").map_err(|e| error::bad_input(format!("the editor failed: {e}")))?;
        Ok(edited.unwrap_or_default().trim_end().to_string())
    }

    /// A line of text, shown with its current value to keep by pressing enter.
    pub fn text_with_default(&self, prompt: &str, current: &str) -> anyhow::Result<String> {
        let mut input = Input::<String>::with_theme(self.theme.as_ref()).with_prompt(prompt).allow_empty(true);
        if !current.is_empty() {
            input = input.default(current.to_string()).show_default(true);
        }
        input.interact_text_on(&self.term).map_err(aborted)
    }

    /// A yes or no question whose safe answer is no.
    pub fn yes_no(&self, prompt: &str) -> anyhow::Result<bool> {
        self.ask_yes_no(prompt, false)
    }

    pub fn confirm(&self, prompt: &str) -> anyhow::Result<bool> {
        self.ask_yes_no(prompt, true)
    }

    /// A yes or no answered with a whole line (y, yes, n, no; Enter for the
    /// default), so that typing `no` and Enter answers this question alone.
    fn ask_yes_no(&self, prompt: &str, default: bool) -> anyhow::Result<bool> {
        let hint = if default { "[Y/n]" } else { "[y/N]" };
        let line = Input::<String>::with_theme(self.theme.as_ref())
            .with_prompt(format!("{prompt} {hint}"))
            .allow_empty(true)
            .validate_with(|s: &String| match yes_or_no(s) {
                Some(_) => Ok(()),
                None => Err("answer yes or no (y, n), or press Enter"),
            })
            .interact_text_on(&self.term)
            .map_err(aborted)?;
        Ok(yes_or_no(&line).flatten().unwrap_or(default))
    }
}

/// Which of `items` an answer names: its number (from 1), its key, or the start
/// of exactly one key, without regard to case.
fn choice(items: &[(String, String)], answer: &str) -> Option<usize> {
    let answer = answer.trim().to_lowercase();
    if let Ok(n) = answer.parse::<usize>() {
        return (1..=items.len()).contains(&n).then(|| n - 1);
    }
    if answer.is_empty() {
        return None;
    }
    let keys: Vec<String> = items.iter().map(|(k, _)| k.to_lowercase()).collect();
    if let Some(i) = keys.iter().position(|k| *k == answer) {
        return Some(i);
    }
    let mut starting = keys.iter().enumerate().filter(|(_, k)| k.starts_with(&answer));
    match (starting.next(), starting.next()) {
        (Some((i, _)), None) => Some(i),
        _ => None,
    }
}

/// `line` cut to at most `width` characters at a word boundary, with "…" when cut.
fn fit(line: &str, width: usize) -> String {
    if line.chars().count() <= width {
        return line.to_string();
    }
    let cut: String = line.chars().take(width.saturating_sub(1)).collect();
    let at_word = cut.rfind(char::is_whitespace).filter(|i| *i > width / 2).map_or(cut.as_str(), |i| &cut[..i]);
    format!("{}…", at_word.trim_end())
}

/// A yes/no answer: Some(Some(b)) for an answer, Some(None) for none (the
/// default), None for anything else.
fn yes_or_no(s: &str) -> Option<Option<bool>> {
    match s.trim().to_ascii_lowercase().as_str() {
        "" => Some(None),
        "y" | "yes" => Some(Some(true)),
        "n" | "no" => Some(Some(false)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::yes_or_no;

    #[test]
    fn long_menu_lines_are_cut_between_words() {
        use super::fit;
        assert_eq!(fit("short", 20), "short");
        assert_eq!(fit("lack-of-progress: The case has stalled for days", 30), "lack-of-progress: The case…");
        assert!(fit(&"x".repeat(50), 20).chars().count() <= 20);
    }

    #[test]
    fn a_choice_is_a_number_a_key_or_the_start_of_one_key() {
        use super::choice;
        let items: Vec<(String, String)> = ["executive-visibility", "lack-of-progress", "l2", "legal"]
            .iter()
            .map(|k| (k.to_string(), String::new()))
            .collect();
        assert_eq!(choice(&items, "lack-of-progress"), Some(1), "a key is typed whole, 'k' and 'j' included");
        assert_eq!(choice(&items, " Lack-Of-Progress "), Some(1));
        assert_eq!(choice(&items, "2"), Some(1));
        assert_eq!(choice(&items, "4"), Some(3));
        assert_eq!(choice(&items, "lack"), Some(1));
        assert_eq!(choice(&items, "ex"), Some(0));
        assert_eq!(choice(&items, "l"), None, "the start of more than one key");
        assert_eq!(choice(&items, "l2"), Some(2), "a whole key wins over longer keys it starts");
        for bad in ["0", "5", "", "unresponsive"] {
            assert_eq!(choice(&items, bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_whole_line_answers_yes_or_no() {
        assert_eq!(yes_or_no(" No "), Some(Some(false)));
        assert_eq!(yes_or_no("YES"), Some(Some(true)));
        assert_eq!(yes_or_no(""), Some(None));
        assert_eq!(yes_or_no("nope"), None);
    }
}
