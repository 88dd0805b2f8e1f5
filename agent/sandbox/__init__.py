"""The embedded sandbox: a local M-PESA Org Portal and a WooCommerce-compatible shop, for demos and tests.

It follows ../shared/reference/ (the portal and WooCommerce references) and never imports the agent's label
constants or page maps: it is written from the reference, like the real portal, so the automation is tested
against something it did not shape.
"""
