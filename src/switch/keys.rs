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

/// A key as read from standard input: one line, surrounding whitespace removed.
pub fn clean_input(raw: &str) -> Result<String, KeyError> {
    let key = raw.trim();
    if key.is_empty() {
        return Err(KeyError::Empty);
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
        assert_eq!(clean_input("sk-abc\n").unwrap(), "sk-abc");
        assert_eq!(clean_input("  sk-abc \r\n").unwrap(), "sk-abc");
        assert_eq!(clean_input("\n"), Err(KeyError::Empty));
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
