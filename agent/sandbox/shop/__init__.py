"""The sandbox shop: a WooCommerce-compatible stand-in for a WordPress site with an M-PESA gateway plugin.

Written from ``../shared/reference/wordpress-woocommerce.md`` §10 (never from wp_bridge's code), so the bridge is
tested against something it did not shape. ``state`` holds users, application passwords, gateway settings and
faults; ``gateways`` the plugins' settings schemas and WooCommerce's validators; ``app`` the Flask factory
(``create_app``), the REST routes, wp-login/authorize-application pages, and the ``/__sim/`` control surface that
exists only in ``test``/``demo`` mode.
"""
