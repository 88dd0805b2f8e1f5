"""Test harness: start and stop the real components (D-Bus + gnome-keyring, WordPress, the sandbox)."""
