"""mpesa-agent: sets up M-PESA Org Portal operators and the WooCommerce M-PESA plugin.

Only the version lives here; importing the package must stay cheap (the CLI starts from it). What lives where:
``cli`` (the only click code: options in, one ``Context``, one workflow call, rendering, the error boundary),
``context`` (the run's ``Context``), ``settings`` (paths, the typed configuration file), ``errors`` (domain errors
and exit statuses), ``journal``, ``vault``, ``secret``, ``passwords``, ``validators``, ``resources`` (shipped data);
the packages ``workflows`` (one per command), ``portal`` (browser automation of the Org Portal) and ``sandbox``
(the local portal and shop). ``tests/unit/test_architecture.py`` enforces who may import whom.
"""

__version__ = "0.1.0"
