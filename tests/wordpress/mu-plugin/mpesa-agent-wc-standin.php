<?php
/**
 * Plugin Name: mpesa-agent WooCommerce stand-in (tests only)
 * Description: Registers wc/v3 (and wc/v2) payment_gateways routes with WooCommerce's documented semantics and the
 *              Osen "M-Pesa for WooCommerce" settings schema, so mpesa-agent can be tested against real WordPress
 *              core (WooCommerce itself cannot be installed on the CI machine). See
 *              ../shared/reference/wordpress-woocommerce.md §3 and §10.
 *
 * Reproduced from WooCommerce's V2/V3 payment gateways controller and class-wc-rest-controller.php:
 * - permission: current_user_can('manage_woocommerce'), codes woocommerce_rest_cannot_view / _cannot_edit with
 *   rest_authorization_required_code() (401 logged out, 403 logged in);
 * - 404 woocommerce_rest_payment_gateway_invalid for an unknown id;
 * - update: only keys in form_fields are taken, validated by field type (text/password/unknown types:
 *   wp_kses_post(trim(stripslashes())); select: key of options; multiselect: array, unknown members dropped;
 *   checkbox: loose yes/no, empty -> default); the first invalid value aborts with 400 rest_setting_value_invalid
 *   and nothing is saved; `enabled` is a schema boolean; the reply's top-level title is the pre-update one;
 * - settings values read with empty() (so "0" reads ""), secrets returned in clear text;
 * - defaults materialised on the first save; Osen's signature is md5(rand()) on every read until then;
 * - a wrong application password on a wc/ route answers 401 woocommerce_rest_cannot_view (as observed).
 *
 * The option `mpesa_test_gateway_plugin` picks which plugin owns the id `mpesa`: "osen" (default), "davisonpro"
 * (no initiator field) or "none" (no M-PESA plugin active).
 */

if (!defined('ABSPATH')) {
    exit;
}

function mpesa_standin_osen_fields() {
    $statuses = array(
        'wc-pending' => 'Pending payment', 'wc-processing' => 'Processing', 'wc-on-hold' => 'On hold',
        'wc-completed' => 'Completed', 'wc-cancelled' => 'Cancelled', 'wc-refunded' => 'Refunded',
        'wc-failed' => 'Failed', 'wc-checkout-draft' => 'Draft',
    );
    return array(
        'enabled' => array('title' => 'Enable/Disable', 'type' => 'checkbox', 'label' => 'Enable Lipa Na M-Pesa',
            'default' => 'yes'),
        'title' => array('title' => 'Method Title', 'type' => 'text',
            'description' => 'Payment method name that the customer will see on your checkout.',
            'default' => 'Lipa Na M-Pesa'),
        'env' => array('title' => 'Environment', 'type' => 'select', 'description' => 'M-Pesa Environment',
            'options' => array('sandbox' => 'Sandbox', 'live' => 'Live'), 'default' => ''),
        'idtype' => array('title' => 'Identifier Type', 'type' => 'select',
            'options' => array(4 => 'Paybill Number', 2 => 'Till Number')),
        'headoffice' => array('title' => 'Store Number', 'type' => 'text', 'default' => 174379),
        'shortcode' => array('title' => 'Business Shortcode', 'type' => 'text', 'default' => 174379),
        'key' => array('title' => 'App Consumer Key', 'type' => 'text',
            'default' => '9v38Dtu5u2BpsITPmLcXNWGMsjZRWSTG'),
        'secret' => array('title' => 'App Consumer Secret', 'type' => 'text', 'default' => 'bclwIPkcRqw61yUt'),
        'passkey' => array('title' => 'Online Passkey', 'type' => 'text',
            'default' => 'bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919'),
        'reference' => array('title' => 'Account Reference', 'type' => 'text', 'default' => ''),
        'signature' => array('title' => 'Encryption Signature', 'type' => 'password', 'default' => md5(rand())),
        'resend' => array('title' => 'Resend STK Button Text', 'type' => 'text', 'default' => 'Resend STK Push'),
        'description' => array('title' => 'Method Description', 'type' => 'textarea',
            'default' => 'Cross-check your details before pressing the button below.'),
        'instructions' => array('title' => 'Instructions', 'type' => 'textarea', 'default' => ''),
        'completion' => array('title' => 'Order Status on Payment', 'type' => 'select',
            'options' => array('completed' => 'Mark order as completed', 'on-hold' => 'Mark order as on hold',
                'processing' => 'Mark order as processing')),
        'enable_for_methods' => array('title' => 'Enable for shipping methods', 'type' => 'multiselect',
            'default' => '', 'options' => array('flat_rate' => 'Flat rate', 'local_pickup' => 'Local pickup')),
        'enable_for_virtual' => array('title' => 'Accept for virtual orders', 'type' => 'checkbox',
            'default' => 'yes'),
        'debug' => array('title' => 'Debug Mode', 'type' => 'checkbox', 'default' => 'no'),
        'debug_title' => array('title' => 'Callback URLs', 'type' => 'title'),
        'c2b_section' => array('title' => 'Manual Payments', 'type' => 'title'),
        'enable_c2b' => array('title' => 'Manual Payments', 'type' => 'checkbox', 'default' => 'no'),
        'enable_bonga' => array('title' => 'Bonga Points', 'type' => 'checkbox', 'default' => 'no'),
        'reversal_section' => array('title' => 'Reversals', 'type' => 'title'),
        'enable_reversal' => array('title' => 'Enable Reversals', 'type' => 'checkbox', 'default' => 'no'),
        'initiator' => array('title' => 'Initiator Username', 'type' => 'text',
            'description' => 'Username for user with Reversal Role.', 'default' => 'test'),
        'password' => array('title' => 'Initiator Password', 'type' => 'password',
            'description' => 'Password for user with Reversal Role.', 'default' => ''),
        'statuses' => array('title' => 'Order Statuses', 'type' => 'multiselect', 'default' => '',
            'placeholder' => 'Select statuses', 'options' => $statuses),
    );
}

function mpesa_standin_davisonpro_fields() {
    return array(
        'enabled' => array('title' => 'Enable/Disable', 'type' => 'checkbox', 'default' => 'no'),
        'title' => array('title' => 'Title', 'type' => 'text', 'default' => 'M-Pesa'),
        'description' => array('title' => 'Description', 'type' => 'textarea', 'default' => 'Pay with M-Pesa'),
        'env_section' => array('title' => 'Environment', 'type' => 'title'),
        'env' => array('title' => 'Environment', 'type' => 'select',
            'options' => array('sandbox' => 'Sandbox', 'live' => 'Live'), 'default' => 'sandbox'),
        'idtype' => array('title' => 'Identifier Type', 'type' => 'select',
            'options' => array(4 => 'Paybill', 2 => 'Till'), 'default' => 4),
        'api_section' => array('title' => 'API', 'type' => 'title'),
        'shortcode' => array('title' => 'Shortcode', 'type' => 'text', 'default' => ''),
        'key' => array('title' => 'Consumer Key', 'type' => 'text', 'default' => ''),
        'secret' => array('title' => 'Consumer Secret', 'type' => 'password', 'default' => ''),
        'passkey' => array('title' => 'Passkey', 'type' => 'text', 'default' => ''),
        'signature' => array('title' => 'Signature', 'type' => 'password', 'default' => 'fixed-signature'),
        'advanced_section' => array('title' => 'Advanced', 'type' => 'title'),
        'completion_status' => array('title' => 'Completion status', 'type' => 'select',
            'options' => array('processing' => 'Processing', 'completed' => 'Completed'), 'default' => 'processing'),
        'enable_c2b' => array('title' => 'C2B', 'type' => 'checkbox', 'default' => 'no'),
        'enable_reversal' => array('title' => 'Reversal', 'type' => 'checkbox', 'default' => 'no'),
        'debug' => array('title' => 'Debug', 'type' => 'checkbox', 'default' => 'no'),
        'currency_section' => array('title' => 'Currency', 'type' => 'title'),
        'auto_exchange_rates' => array('title' => 'Auto exchange rates', 'type' => 'checkbox', 'default' => 'no'),
        'exchange_rates' => array('title' => 'Exchange rates', 'type' => 'textarea', 'default' => ''),
    );
}

function mpesa_standin_simple_fields($title) {
    return array(
        'enabled' => array('title' => 'Enable/Disable', 'type' => 'checkbox', 'default' => 'no'),
        'title' => array('title' => 'Title', 'type' => 'text', 'default' => $title),
        'description' => array('title' => 'Description', 'type' => 'textarea', 'default' => ''),
        'instructions' => array('title' => 'Instructions', 'type' => 'textarea', 'default' => ''),
    );
}

/** The gateways "installed" on this site: id => [method_title, form_fields]. */
function mpesa_standin_gateways() {
    $gateways = array(
        'bacs' => array('Direct bank transfer', mpesa_standin_simple_fields('Direct bank transfer')),
        'cheque' => array('Check payments', mpesa_standin_simple_fields('Check payments')),
        'cod' => array('Cash on delivery', mpesa_standin_simple_fields('Cash on delivery')),
    );
    $plugin = get_option('mpesa_test_gateway_plugin', 'osen');
    if ($plugin === 'osen') {
        $gateways['mpesa'] = array('Lipa Na M-Pesa', mpesa_standin_osen_fields());
    } elseif ($plugin === 'davisonpro') {
        $gateways['mpesa'] = array('M-Pesa', mpesa_standin_davisonpro_fields());
    }
    return $gateways;
}

/** The gateway's current settings: the saved option, or the form_fields defaults (materialised on first save). */
function mpesa_standin_settings($id, $fields) {
    $saved = get_option('woocommerce_' . $id . '_settings', null);
    $defaults = array();
    foreach ($fields as $key => $field) {
        $defaults[$key] = isset($field['default']) ? $field['default'] : '';
    }
    if ($id === 'mpesa' && get_option('mpesa_test_gateway_plugin', 'osen') === 'osen') {
        $defaults['env'] = 'sandbox'; // Osen's set_default_options filter (the declared default reads "").
    }
    return is_array($saved) ? array_merge($defaults, $saved) : $defaults;
}

function mpesa_standin_field_settings($fields, $settings) {
    $out = array();
    foreach ($fields as $key => $field) {
        if (empty($field['title']) || empty($field['type']) || in_array($key, array('enabled', 'description'), true)) {
            continue;
        }
        $entry = array(
            'id' => $key,
            'label' => empty($field['label']) ? $field['title'] : $field['label'],
            'description' => empty($field['description']) ? '' : $field['description'],
            'type' => $field['type'],
            'value' => empty($settings[$key]) ? '' : $settings[$key],
            'default' => empty($field['default']) ? '' : $field['default'],
            'tip' => empty($field['description']) ? '' : $field['description'],
            'placeholder' => empty($field['placeholder']) ? '' : $field['placeholder'],
        );
        if (!empty($field['options'])) {
            $entry['options'] = $field['options'];
        }
        $out[$key] = $entry;
    }
    return $out;
}

function mpesa_standin_item($id, $request, $title_override = null, $settings = null) {
    $gateways = mpesa_standin_gateways();
    list($method_title, $fields) = $gateways[$id];
    $current = mpesa_standin_settings($id, $fields);
    $settings = $settings === null ? $current : $settings;
    $order = (array) get_option('woocommerce_gateway_order', array());
    $item = array(
        'id' => $id,
        'title' => $title_override !== null ? $title_override : $current['title'],
        'description' => isset($settings['description']) ? $settings['description'] : '',
        'order' => isset($order[$id]) ? $order[$id] : '',
        'enabled' => 'yes' === $settings['enabled'],
        'method_title' => $method_title,
        'method_description' => '',
        'method_supports' => array('products'),
        'settings' => mpesa_standin_field_settings($fields, $settings),
    );
    $ns = strpos($request->get_route(), '/wc/v2/') === 0 ? 'wc/v2' : 'wc/v3';
    $response = rest_ensure_response($item);
    $response->add_link('self', rest_url(sprintf('/%s/payment_gateways/%s', $ns, $id)));
    $response->add_link('collection', rest_url(sprintf('/%s/payment_gateways', $ns)));
    return $response;
}

function mpesa_standin_permission($action) {
    if (current_user_can('manage_woocommerce')) {
        return true;
    }
    if ($action === 'list') {
        return new WP_Error('woocommerce_rest_cannot_view', 'Sorry, you cannot list resources.',
            array('status' => rest_authorization_required_code()));
    }
    if ($action === 'read') {
        return new WP_Error('woocommerce_rest_cannot_view', 'Sorry, you cannot view this resource.',
            array('status' => rest_authorization_required_code()));
    }
    return new WP_Error('woocommerce_rest_cannot_edit', 'Sorry, you are not allowed to edit this resource.',
        array('status' => rest_authorization_required_code()));
}

function mpesa_standin_invalid() {
    return new WP_Error('rest_setting_value_invalid', 'An invalid setting value was passed.', array('status' => 400));
}

function mpesa_standin_validate($value, $field) {
    switch ($field['type']) {
        case 'select':
        case 'radio':
            if (is_scalar($value) && array_key_exists($value, $field['options'])) {
                return $value;
            }
            return mpesa_standin_invalid();
        case 'multiselect':
            if (empty($value)) {
                return array();
            }
            if (!is_array($value)) {
                return mpesa_standin_invalid();
            }
            $final = array();
            foreach ($value as $member) {
                if (is_scalar($member) && array_key_exists($member, $field['options'])) {
                    $final[] = $member;
                }
            }
            return $final;
        case 'checkbox':
            if (in_array($value, array('yes', 'no'))) { // loose on purpose: JSON true passes and is stored as true
                return $value;
            }
            if (empty($value)) {
                return isset($field['default']) ? $field['default'] : 'no';
            }
            return mpesa_standin_invalid();
        case 'textarea':
            return wp_kses_post(trim(stripslashes(is_null($value) ? '' : (string) $value)));
        default: // text, password, email, number, color, title and unknown types
            if (is_array($value)) {
                return mpesa_standin_invalid();
            }
            return wp_kses_post(trim(stripslashes(is_null($value) ? '' : (string) $value)));
    }
}

function mpesa_standin_get_item($request) {
    $id = $request['id'];
    if (!array_key_exists($id, mpesa_standin_gateways())) {
        return new WP_Error('woocommerce_rest_payment_gateway_invalid', 'Resource does not exist.',
            array('status' => 404));
    }
    return mpesa_standin_item($id, $request);
}

function mpesa_standin_update_item($request) {
    $id = $request['id'];
    $gateways = mpesa_standin_gateways();
    if (!array_key_exists($id, $gateways)) {
        return new WP_Error('woocommerce_rest_payment_gateway_invalid', 'Resource does not exist.',
            array('status' => 404));
    }
    $fields = $gateways[$id][1];
    $before = mpesa_standin_settings($id, $fields);
    $settings = $before;
    $title_override = null;
    if (isset($request['settings'])) {
        $new = $request['settings'];
        foreach ($fields as $key => $field) {
            if (isset($new[$key])) {
                $value = mpesa_standin_validate($new[$key], $field);
                if (is_wp_error($value)) {
                    return $value;
                }
                $settings[$key] = $value;
            }
        }
    }
    if (isset($request['enabled'])) {
        $settings['enabled'] = rest_sanitize_boolean($request['enabled']) ? 'yes' : 'no';
    }
    if (isset($request['title'])) {
        $settings['title'] = $request['title'];
        $title_override = $request['title'];
    }
    if (isset($request['description'])) {
        $settings['description'] = $request['description'];
    }
    update_option('woocommerce_' . $id . '_settings', $settings);
    if (isset($request['order'])) {
        $order = (array) get_option('woocommerce_gateway_order', array());
        $order[$id] = $request['order'];
        update_option('woocommerce_gateway_order', $order);
    }
    // WooCommerce answers with the gateway object it loaded before the update: a top-level title stays stale.
    $stale_title = $title_override !== null ? $title_override : $before['title'];
    return mpesa_standin_item($id, $request, $stale_title, $settings);
}

function mpesa_standin_get_items($request) {
    $items = array();
    foreach (array_keys(mpesa_standin_gateways()) as $id) {
        $items[] = rest_get_server()->response_to_data(mpesa_standin_item($id, $request), false);
    }
    return rest_ensure_response($items);
}

function mpesa_standin_item_schema() {
    return array(
        '$schema' => 'http://json-schema.org/draft-04/schema#',
        'title' => 'payment_gateway',
        'type' => 'object',
        'properties' => array(
            'id' => array('type' => 'string', 'context' => array('view', 'edit'), 'readonly' => true),
            'title' => array('type' => 'string', 'context' => array('view', 'edit')),
            'description' => array('type' => 'string', 'context' => array('view', 'edit')),
            'order' => array('type' => array('integer', 'string'), 'context' => array('view', 'edit')),
            'enabled' => array('type' => 'boolean', 'context' => array('view', 'edit')),
            'method_title' => array('type' => 'string', 'context' => array('view', 'edit'), 'readonly' => true),
            'settings' => array('type' => 'object', 'context' => array('view', 'edit')),
        ),
    );
}

add_action('rest_api_init', function () {
    foreach (array('wc/v3', 'wc/v2') as $ns) {
        register_rest_route($ns, '/payment_gateways', array(
            array(
                'methods' => WP_REST_Server::READABLE,
                'callback' => 'mpesa_standin_get_items',
                'permission_callback' => function () { return mpesa_standin_permission('list'); },
            ),
            'schema' => 'mpesa_standin_item_schema',
        ));
        register_rest_route($ns, '/payment_gateways/(?P<id>[\w-]+)', array(
            array(
                'methods' => WP_REST_Server::READABLE,
                'callback' => 'mpesa_standin_get_item',
                'permission_callback' => function () { return mpesa_standin_permission('read'); },
            ),
            array(
                'methods' => WP_REST_Server::EDITABLE,
                'callback' => 'mpesa_standin_update_item',
                'permission_callback' => function () { return mpesa_standin_permission('edit'); },
                'args' => rest_get_endpoint_args_for_schema(mpesa_standin_item_schema(), WP_REST_Server::EDITABLE),
            ),
            'schema' => 'mpesa_standin_item_schema',
        ));
    }
});

/**
 * As observed with WooCommerce: a refused application password on a wc/ route is not reported as
 * incorrect_password; the request goes on unauthenticated and the permission check answers 401
 * woocommerce_rest_cannot_view (wordpress-woocommerce.md §3.2).
 */
add_filter('rest_authentication_errors', function ($result) {
    if (!is_wp_error($result)) {
        return $result;
    }
    $route = isset($GLOBALS['wp']->query_vars['rest_route']) ? $GLOBALS['wp']->query_vars['rest_route'] : '';
    if (strpos(ltrim($route, '/'), 'wc/') === 0
        && in_array($result->get_error_code(), array('incorrect_password', 'invalid_username', 'invalid_email'), true)) {
        return null;
    }
    return $result;
}, 95);

/** There is no MTA on the test machine. */
add_filter('pre_wp_mail', '__return_false');

/** Plain permalinks for one test server (env MPESA_WP_PLAIN_PERMALINKS=1), without touching the shared database. */
if (getenv('MPESA_WP_PLAIN_PERMALINKS') === '1') {
    add_filter('pre_option_permalink_structure', function () { return ''; });
    add_filter('pre_option_rewrite_rules', function () { return ''; });
}
