"""Workflows: one function per command, no click, no printing of their own.

A workflow takes the run's ``agent.context.Context`` first (the configuration, typed settings, the vault, the
reporter, the human-input port, a clock) and plain values, talks to the portal automation, the vault, the journal
and wp_bridge, and returns a result that carries its exit status (``exit_status``) for the CLI to render. It never
reads the configuration file or opens the vault itself.

What belongs where: ``setup`` and ``plan`` (create and activate the operators), ``sites`` and ``site_results``
(link, unlink, list, push, rollback of a push), ``rotation/`` (rotate and rollback, one module per concern),
``status``, ``config`` (config init), ``demo``; the shared machinery: ``steps`` (the step engine with declared
checkpoints), ``edge`` (the one translation of wp_bridge errors), ``progress`` (the reporter protocol).
"""
