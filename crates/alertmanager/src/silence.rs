//! Silences: matchers plus a time range; an active silence mutes every alert it matches.

use chrono::{DateTime, Utc};
use obslab_model::{Labels, Matcher};
use std::collections::BTreeMap;

/// Where a silence is in its life, as the Alertmanager API reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SilenceState {
    Pending,
    Active,
    Expired,
}

impl SilenceState {
    pub fn as_str(self) -> &'static str {
        match self {
            SilenceState::Pending => "pending",
            SilenceState::Active => "active",
            SilenceState::Expired => "expired",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Silence {
    pub id: String,
    pub matchers: Vec<Matcher>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub created_by: String,
    pub comment: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SilenceError {
    #[error("at least one matcher required")]
    NoMatchers,
    #[error("at least one matcher must not match the empty string")]
    MatchesEverything,
    #[error("end time must not be before start time")]
    EndBeforeStart,
    #[error("silence {0} not found")]
    NotFound(String),
    #[error("silence {0} already expired")]
    AlreadyExpired(String),
}

impl Silence {
    pub fn state(&self, now: DateTime<Utc>) -> SilenceState {
        if self.ends_at <= now {
            SilenceState::Expired
        } else if self.starts_at > now {
            SilenceState::Pending
        } else {
            SilenceState::Active
        }
    }

    pub fn matches(&self, labels: &Labels) -> bool {
        self.matchers
            .iter()
            .all(|m| m.matches(labels.get(&m.name).unwrap_or("")))
    }

    fn validate(&self) -> Result<(), SilenceError> {
        if self.matchers.is_empty() {
            return Err(SilenceError::NoMatchers);
        }
        if self.matchers.iter().all(|m| m.matches_empty()) {
            return Err(SilenceError::MatchesEverything);
        }
        if self.ends_at < self.starts_at {
            return Err(SilenceError::EndBeforeStart);
        }
        Ok(())
    }
}

/// The set of silences, keyed by id; ids are assigned in creation order.
#[derive(Debug, Clone, Default)]
pub struct Silences {
    by_id: BTreeMap<String, Silence>,
    next_id: u64,
}

impl Silences {
    /// Creates a silence (empty `id`) or updates one. As in Alertmanager, changing an active
    /// silence's matchers or start expires it and creates a new one; the returned id says which.
    pub fn set(&mut self, mut s: Silence, now: DateTime<Utc>) -> Result<String, SilenceError> {
        s.validate()?;
        if s.starts_at < now {
            s.starts_at = now;
        }
        if s.ends_at < s.starts_at {
            return Err(SilenceError::EndBeforeStart);
        }
        s.updated_at = now;
        if !s.id.is_empty() {
            let old = self
                .by_id
                .get(&s.id)
                .ok_or_else(|| SilenceError::NotFound(s.id.clone()))?;
            let in_place = match old.state(now) {
                SilenceState::Pending => true,
                SilenceState::Active => old.matchers == s.matchers,
                SilenceState::Expired => false,
            };
            if in_place {
                if old.state(now) == SilenceState::Active {
                    s.starts_at = old.starts_at;
                }
                self.by_id.insert(s.id.clone(), s.clone());
                return Ok(s.id);
            }
            let old_id = s.id.clone();
            self.expire(&old_id, now).ok();
        }
        self.next_id += 1;
        s.id = format!("{:08x}-0000-4000-8000-{:012x}", self.next_id, self.next_id);
        self.by_id.insert(s.id.clone(), s.clone());
        Ok(s.id)
    }

    /// Ends a silence now (a pending one ends before it starts).
    pub fn expire(&mut self, id: &str, now: DateTime<Utc>) -> Result<(), SilenceError> {
        let s = self
            .by_id
            .get_mut(id)
            .ok_or_else(|| SilenceError::NotFound(id.to_string()))?;
        match s.state(now) {
            SilenceState::Expired => return Err(SilenceError::AlreadyExpired(id.to_string())),
            SilenceState::Pending => s.starts_at = now,
            SilenceState::Active => {}
        }
        s.ends_at = now;
        s.updated_at = now;
        Ok(())
    }

    pub fn get(&self, id: &str) -> Option<&Silence> {
        self.by_id.get(id)
    }

    pub fn all(&self) -> impl Iterator<Item = &Silence> {
        self.by_id.values()
    }

    /// Ids of the active silences that mute an alert with these labels.
    pub fn mutes(&self, labels: &Labels, now: DateTime<Utc>) -> Vec<String> {
        self.by_id
            .values()
            .filter(|s| s.state(now) == SilenceState::Active && s.matches(labels))
            .map(|s| s.id.clone())
            .collect()
    }

    /// Drops silences that expired before `cutoff` (Alertmanager keeps them for a retention time).
    pub fn gc(&mut self, cutoff: DateTime<Utc>) {
        self.by_id.retain(|_, s| s.ends_at > cutoff);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_matchers;
    use chrono::TimeZone;

    fn t(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(s, 0).unwrap()
    }

    fn silence(m: &str, start: i64, end: i64) -> Silence {
        Silence {
            id: String::new(),
            matchers: parse_matchers(m).unwrap(),
            starts_at: t(start),
            ends_at: t(end),
            updated_at: t(0),
            created_by: "me".into(),
            comment: "maintenance".into(),
        }
    }

    #[test]
    fn states_follow_the_clock() {
        let s = silence("job=api", 100, 200);
        assert_eq!(s.state(t(50)), SilenceState::Pending);
        assert_eq!(s.state(t(100)), SilenceState::Active);
        assert_eq!(s.state(t(200)), SilenceState::Expired);
        assert_eq!(SilenceState::Active.as_str(), "active");
    }

    #[test]
    fn active_silences_mute_matching_alerts() {
        let mut ss = Silences::default();
        let id = ss
            .set(silence(r#"{job="api", env=~"prod|stage"}"#, 0, 200), t(10))
            .unwrap();
        let hit = Labels::from_pairs([("job", "api"), ("env", "prod")]);
        let miss = Labels::from_pairs([("job", "api"), ("env", "dev")]);
        assert_eq!(ss.mutes(&hit, t(20)), vec![id.clone()]);
        assert!(ss.mutes(&miss, t(20)).is_empty());
        assert!(ss.mutes(&hit, t(300)).is_empty());
        ss.expire(&id, t(30)).unwrap();
        assert!(ss.mutes(&hit, t(31)).is_empty());
        assert_eq!(
            ss.expire(&id, t(40)),
            Err(SilenceError::AlreadyExpired(id.clone()))
        );
        ss.gc(t(100));
        assert!(ss.get(&id).is_none());
    }

    #[test]
    fn validation() {
        let mut ss = Silences::default();
        assert_eq!(ss.set(silence("{}", 0, 10), t(0)), Err(SilenceError::NoMatchers));
        assert_eq!(
            ss.set(silence("job=~.*", 0, 10), t(0)),
            Err(SilenceError::MatchesEverything)
        );
        assert_eq!(
            ss.set(silence("job=a", 10, 5), t(0)),
            Err(SilenceError::EndBeforeStart)
        );
        let mut bad = silence("job=a", 0, 10);
        bad.id = "nope".into();
        assert_eq!(ss.set(bad, t(0)), Err(SilenceError::NotFound("nope".into())));
    }

    #[test]
    fn updating_matchers_of_active_silence_replaces_it() {
        let mut ss = Silences::default();
        let id = ss.set(silence("job=a", 0, 100), t(0)).unwrap();
        let mut same = silence("job=a", 0, 150);
        same.id = id.clone();
        assert_eq!(ss.set(same, t(10)).unwrap(), id);
        assert_eq!(ss.get(&id).unwrap().ends_at, t(150));
        let mut changed = silence("job=b", 0, 150);
        changed.id = id.clone();
        let new_id = ss.set(changed, t(20)).unwrap();
        assert_ne!(new_id, id);
        assert_eq!(ss.get(&id).unwrap().state(t(21)), SilenceState::Expired);
        assert_eq!(ss.get(&new_id).unwrap().state(t(21)), SilenceState::Active);
    }
}
