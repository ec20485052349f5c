"""Lip-reading plugin: synthetic talking-mouth videos paired with eSpeak NG speech."""
