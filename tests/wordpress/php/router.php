<?php
/**
 * Router for `php -S` in front of Debian's WordPress (tests only).
 *
 * - selects the per-run config /etc/wordpress/config-<MPESA_WP_CONFIG>.php whatever the Host header says;
 * - maps /wp-content/ to Debian's WP_CONTENT_DIR (/var/lib/wordpress/wp-content);
 * - lets the built-in server serve other existing files and directories (wp-admin/, wp-login.php, assets);
 * - sends everything else to index.php (pretty permalinks, /wp-json/).
 */
$_SERVER['WORDPRESS_CONFIG'] = getenv('MPESA_WP_CONFIG');
$docroot = $_SERVER['DOCUMENT_ROOT'];
$path = rawurldecode(parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH) ?: '/');
if (strpos($path, '..') !== false) {
    http_response_code(400);
    return true;
}

if (strpos($path, '/wp-content/') === 0) {
    $content = '/var/lib/wordpress/wp-content';
    $file = $content . substr($path, strlen('/wp-content'));
    if (is_file($file)) {
        if (substr($file, -4) === '.php') {
            chdir(dirname($file));
            require $file;
            return true;
        }
        $types = array(
            'css' => 'text/css', 'js' => 'application/javascript', 'png' => 'image/png', 'jpg' => 'image/jpeg',
            'svg' => 'image/svg+xml', 'woff2' => 'font/woff2', 'woff' => 'font/woff', 'gif' => 'image/gif',
        );
        $ext = strtolower(pathinfo($file, PATHINFO_EXTENSION));
        header('Content-Type: ' . (isset($types[$ext]) ? $types[$ext] : 'application/octet-stream'));
        readfile($file);
        return true;
    }
}

if ($path !== '/' && file_exists($docroot . $path)) {
    return false;
}

$_SERVER['SCRIPT_NAME'] = '/index.php';
$_SERVER['PHP_SELF'] = '/index.php';
$_SERVER['SCRIPT_FILENAME'] = $docroot . '/index.php';
chdir($docroot);
require $docroot . '/index.php';
return true;
