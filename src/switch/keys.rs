//! API keys for switch profiles, kept in the OS keyring (Secret Service, Keychain, Credential Manager), never in our files or database.

/// The keyring service name; the profile id is the entry's user name.
pub const SERVICE: &str = "weathervane";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error(
        "no OS keyring is available ({0}). Weathervane keeps keys only in the OS keyring \
         (on Linux a Secret Service such as GNOME Keyring or KeePassXC); without one, export \
         the key in your shell yourself and use a profile that does not need a stored key"
    )]
    Unavailable(String),
    #[error(
        "no key is stored for profile {0}: run `weathervane key set {0}` (it reads the key from standard input)"
    )]
    NotSet(String),
    #[error("the key is empty")]
    Empty,
    #[error("the OS keyring refused: {0}")]
    Keyring(String),
}

/// Where keys live. The OS keyring in the app; a map in tests.
pub trait Keyring: Send + Sync {
    fn get(&self, profile: &str) -> Result<String, KeyError>;
    fn set(&self, profile: &str, key: &str) -> Result<(), KeyError>;
}

/// The platform's keyring.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsKeyring;

fn map_err(profile: &str, e: keyring::Error) -> KeyError {
    match e {
        keyring::Error::NoEntry => KeyError::NotSet(profile.to_string()),
        keyring::Error::NoDefaultStore | keyring::Error::NoStorageAccess(_) => {
            KeyError::Unavailable(e.to_string())
        }
        keyring::Error::PlatformFailure(p) => {
            let text = p.to_string();
            // No session bus or no Secret Service on it: the keyring is not there.
            if text.contains("org.freedesktop.secrets")
                || text.to_lowercase().contains("dbus")
                || text.contains("D-Bus")
            {
                KeyError::Unavailable(text)
            } else {
                KeyError::Keyring(text)
            }
        }
        other => KeyError::Keyring(other.to_string()),
    }
}

impl Keyring for OsKeyring {
    fn get(&self, profile: &str) -> Result<String, KeyError> {
        let entry = keyring::Entry::new(SERVICE, profile).map_err(|e| map_err(profile, e))?;
        let key = entry.get_password().map_err(|e| map_err(profile, e))?;
        if key.is_empty() {
            return Err(KeyError::NotSet(profile.to_string()));
        }
        Ok(key)
    }

    fn set(&self, profile: &str, key: &str) -> Result<(), KeyError> {
        if key.is_empty() {
            return Err(KeyError::Empty);
        }
        let entry = keyring::Entry::new(SERVICE, profile).map_err(|e| map_err(profile, e))?;
        entry.set_password(key).map_err(|e| map_err(profile, e))
    }
}

/// The most `key set` reads: keys are a few hundred bytes; anything near this
/// is the wrong file piped in, and reading on would only fill memory.
pub const MAX_KEY_INPUT: usize = 64 * 1024;

/// Input `key set` refuses: a usage error, never a keyring one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyInputError {
    #[error("the key is empty; paste it on one line, then Enter (or pipe it in)")]
    Empty,
    #[error("the key spans several lines; a key is one line (was the wrong file piped in?)")]
    MultiLine,
    #[error("the input is over {} KiB, too long for a key (was the wrong file piped in?)", MAX_KEY_INPUT / 1024)]
    TooLong,
    #[error("the key is not UTF-8 text")]
    NotText,
    #[error("the key holds a control character")]
    Control,
}

/// A key as read from standard input: one line. One final newline (`\n` or
/// `\r\n`, what `echo` or Enter adds) and surrounding blanks (a paste's) are
/// dropped; anything else that cannot be part of a key is refused rather than
/// stored, where it would break every request made with it.
pub fn clean_input(raw: &[u8]) -> Result<String, KeyInputError> {
    if raw.len() > MAX_KEY_INPUT {
        return Err(KeyInputError::TooLong);
    }
    let text = std::str::from_utf8(raw).map_err(|_| KeyInputError::NotText)?;
    let line = text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(text);
    let key = line.trim_matches([' ', '\t']);
    if key.contains(['\n', '\r']) {
        return Err(KeyInputError::MultiLine);
    }
    if key.chars().any(char::is_control) {
        return Err(KeyInputError::Control);
    }
    if key.is_empty() {
        return Err(KeyInputError::Empty);
    }
    Ok(key.to_string())
}

/// An in-memory keyring for tests of code that needs keys.
#[derive(Debug, Default)]
pub struct MemoryKeyring(pub std::sync::Mutex<std::collections::HashMap<String, String>>);

impl Keyring for MemoryKeyring {
    fn get(&self, profile: &str) -> Result<String, KeyError> {
        let map = self
            .0
            .lock()
            .map_err(|_| KeyError::Keyring("poisoned".into()))?;
        map.get(profile)
            .cloned()
            .ok_or_else(|| KeyError::NotSet(profile.to_string()))
    }

    fn set(&self, profile: &str, key: &str) -> Result<(), KeyError> {
        if key.is_empty() {
            return Err(KeyError::Empty);
        }
        let mut map = self
            .0
            .lock()
            .map_err(|_| KeyError::Keyring("poisoned".into()))?;
        map.insert(profile.to_string(), key.to_string());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_is_trimmed_and_empty_refused() {
        assert_eq!(clean_input(b"sk-abc\n").unwrap(), "sk-abc");
        assert_eq!(clean_input(b"  sk-abc \r\n").unwrap(), "sk-abc");
        assert_eq!(clean_input(b"sk-abc").unwrap(), "sk-abc");
        assert_eq!(clean_input(b"\n"), Err(KeyInputError::Empty));
        assert_eq!(clean_input(b""), Err(KeyInputError::Empty));
    }

    /// Issue 18, item 18: a multi-line input was stored with a newline inside.
    #[test]
    fn multi_line_long_and_odd_input_is_refused() {
        assert_eq!(clean_input(b"sk-a\nsk-b\n"), Err(KeyInputError::MultiLine));
        assert_eq!(clean_input(b"sk-a\n\n"), Err(KeyInputError::MultiLine));
        assert_eq!(clean_input(b"sk-a\r"), Err(KeyInputError::MultiLine));
        assert_eq!(clean_input(b"sk\x1b[2Ja"), Err(KeyInputError::Control));
        assert_eq!(clean_input(b"\xff\xfe"), Err(KeyInputError::NotText));
        let long = vec![b'a'; MAX_KEY_INPUT + 1];
        assert_eq!(clean_input(&long), Err(KeyInputError::TooLong));
        assert!(clean_input(&long[..MAX_KEY_INPUT]).is_ok());
    }

    #[test]
    fn memory_keyring_round_trips() {
        let k = MemoryKeyring::default();
        assert_eq!(k.get("deepseek"), Err(KeyError::NotSet("deepseek".into())));
        k.set("deepseek", "sk-1").unwrap();
        assert_eq!(k.get("deepseek").unwrap(), "sk-1");
        let msg = KeyError::NotSet("deepseek".into()).to_string();
        assert!(msg.contains("weathervane key set deepseek"), "{msg}");
    }
}
