"""Workflows: one function per command, no click, no printing of their own.

A workflow takes plain values, talks to the portal automation, the vault, the journal and wp_bridge, and returns a
result object for the CLI to render. Progress goes through an injected reporter.
"""
