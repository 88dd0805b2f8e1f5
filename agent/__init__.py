"""mpesa-agent: sets up M-PESA Org Portal operators and the WooCommerce M-PESA plugin.

Only the version lives here; importing the package must stay cheap (the CLI starts from it).
"""

__version__ = "0.1.0"
