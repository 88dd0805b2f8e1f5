"""wp_bridge: a WordPress/WooCommerce REST client and M-PESA plugin adapters.

It never imports click, keyring or Playwright: credentials come in as arguments, results and errors go out as
values and ``wp_bridge.errors`` exceptions, which the agent maps to exit codes at its one error boundary.
"""
