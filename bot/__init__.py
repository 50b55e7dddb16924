"""Nhắc Việc: the core package — pure language/logic code, settings, the CLI and channel adapters."""
