"""Gettext catalogs of Nhắc Việc: `vi` (message ids are Vietnamese) and `en`."""
