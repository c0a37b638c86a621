//! Pure notification decisions: previous state + new observation + preferences + now -> alerts.
