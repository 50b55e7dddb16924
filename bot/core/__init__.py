"""The pure core: no network, no database, no clock but the one passed in, no settings."""
