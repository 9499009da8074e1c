"""Reports for the Kreis coordination group: counts and grouped needs, no personal data."""
