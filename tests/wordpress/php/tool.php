<?php
/**
 * WordPress from the PHP command line, for the test harness (there is no wp-cli on Debian 12).
 *
 * Reads one JSON object on stdin: {"config": <config name>, "host": "127.0.0.1:<port>", "command": <name>,
 * "args": {...}} and prints one JSON object on stdout. Secrets travel on stdin/stdout only, never argv.
 *
 * Commands: install, create-app-password, list-app-passwords, get-option, update-option, delete-option,
 * reset-gateway.
 */
$input = json_decode(stream_get_contents(STDIN), true);
if (!is_array($input)) {
    fwrite(STDERR, "tool.php: expected a JSON object on stdin\n");
    exit(2);
}
$command = $input['command'];
$args = isset($input['args']) ? $input['args'] : array();

$_SERVER['WORDPRESS_CONFIG'] = $input['config'];
$_SERVER['HTTP_HOST'] = $input['host'];
$_SERVER['SERVER_NAME'] = preg_replace('/:.*/', '', $input['host']);
$_SERVER['SERVER_PORT'] = preg_replace('/^.*:/', '', $input['host']);
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['REQUEST_METHOD'] = 'GET';

if ($command === 'install') {
    define('WP_INSTALLING', true);
}

/** There is no MTA: mail is a no-op (pluggable, so defining it first wins). */
function wp_mail($to, $subject, $message, $headers = '', $attachments = array()) {
    return true;
}

require '/usr/share/wordpress/wp-load.php';

function out($value) {
    echo json_encode($value), "\n";
    exit(0);
}

function fail($message) {
    fwrite(STDERR, "tool.php: $message\n");
    exit(1);
}

function make_user($login, $password, $email, $role) {
    $id = username_exists($login);
    if (!$id) {
        $id = wp_insert_user(array(
            'user_login' => $login, 'user_pass' => $password, 'user_email' => $email, 'role' => $role,
        ));
        if (is_wp_error($id)) {
            fail('cannot create user ' . $login . ': ' . $id->get_error_message());
        }
    }
    return $id;
}

switch ($command) {
    case 'install':
        require_once ABSPATH . 'wp-admin/includes/upgrade.php';
        if (!is_blog_installed()) {
            $result = wp_install($args['title'], $args['admin_user'], $args['admin_email'], false, '',
                $args['admin_password']);
            if (is_wp_error($result)) {
                fail('wp_install: ' . $result->get_error_message());
            }
        }
        update_option('permalink_structure', '/%postname%/');
        flush_rewrite_rules(true);
        // WooCommerce gives these roles manage_woocommerce at install; our stand-in does the same.
        get_role('administrator')->add_cap('manage_woocommerce');
        if (!get_role('shop_manager')) {
            add_role('shop_manager', 'Shop manager', array('read' => true, 'manage_woocommerce' => true));
        }
        $users = array();
        foreach ($args['users'] as $u) {
            $users[$u['login']] = make_user($u['login'], $u['password'], $u['email'], $u['role']);
        }
        out(array('installed' => is_blog_installed(), 'users' => $users));

    case 'create-app-password':
        $user = get_user_by('login', $args['user']);
        if (!$user) {
            fail('no user ' . $args['user']);
        }
        if (!wp_is_application_passwords_available_for_user($user)) {
            fail('application passwords are not available for ' . $args['user'] . ' (environment: '
                . wp_get_environment_type() . ')');
        }
        $created = WP_Application_Passwords::create_new_application_password(
            $user->ID, array('name' => $args['name'], 'app_id' => isset($args['app_id']) ? $args['app_id'] : '')
        );
        if (is_wp_error($created)) {
            fail('create_new_application_password: ' . $created->get_error_message());
        }
        out(array('password' => $created[0], 'uuid' => $created[1]['uuid']));

    case 'list-app-passwords':
        $user = get_user_by('login', $args['user']);
        $items = array();
        foreach (WP_Application_Passwords::get_user_application_passwords($user->ID) as $item) {
            $items[] = array('uuid' => $item['uuid'], 'name' => $item['name'], 'app_id' => $item['app_id']);
        }
        out($items);

    case 'get-option':
        out(array('value' => get_option($args['name'], null)));

    case 'update-option':
        update_option($args['name'], $args['value']);
        out(array('ok' => true));

    case 'reset-gateway':
        delete_option('woocommerce_mpesa_settings');
        delete_option('mpesa_test_gateway_plugin');
        delete_option('woocommerce_gateway_order');
        out(array('ok' => true));

    case 'delete-option':
        delete_option($args['name']);
        out(array('ok' => true));

    default:
        fail('unknown command ' . $command);
}
