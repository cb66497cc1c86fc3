<?php

declare(strict_types=1);

/*
 * php tls_front.php CERT KEY [UPSTREAM_HOST:PORT]
 * A TLS front for tests: listens on a free port of 127.0.0.1 with CERT/KEY, forwards each
 * connection in plain TCP to the broker (default 127.0.0.1:5672), and prints the port on its first
 * line. What a broker's own TLS listener does, without reconfiguring the shared broker. Runs until
 * killed.
 */

[$cert, $key] = [$argv[1] ?? '', $argv[2] ?? ''];
$upstream = $argv[3] ?? '127.0.0.1:5672';
$context = stream_context_create(['ssl' => ['local_cert' => $cert, 'local_pk' => $key, 'verify_peer' => false]]);
$server = stream_socket_server('tcp://127.0.0.1:0', $errno, $error, STREAM_SERVER_BIND | STREAM_SERVER_LISTEN, $context);
if ($server === false) {
    fwrite(STDERR, "cannot listen: $error\n");
    exit(1);
}
$name = (string) stream_socket_get_name($server, false);
echo substr($name, strrpos($name, ':') + 1), "\n";

/** @var array<int, array{0: resource, 1: resource}> $pairs socket id => [this side, the other side] */
$pairs = [];
while (true) {
    $read = [$server];
    foreach ($pairs as [$side]) {
        $read[] = $side;
    }
    $write = $except = null;
    if (stream_select($read, $write, $except, 1) === false) {
        break;
    }
    foreach ($read as $ready) {
        if ($ready === $server) {
            $client = @stream_socket_accept($server, 5);
            if ($client === false) {
                continue;
            }
            stream_set_blocking($client, true);
            if (@stream_socket_enable_crypto($client, true, STREAM_CRYPTO_METHOD_TLS_SERVER) !== true) {
                fclose($client); // a client that does not trust us: the handshake fails
                continue;
            }
            $up = @stream_socket_client('tcp://' . $upstream, $errno, $error, 5);
            if ($up === false) {
                fclose($client);
                continue;
            }
            stream_set_blocking($client, false);
            stream_set_blocking($up, false);
            $pairs[(int) $client] = [$client, $up];
            $pairs[(int) $up] = [$up, $client];
            continue;
        }
        if (!isset($pairs[(int) $ready])) {
            continue;
        }
        [$from, $to] = $pairs[(int) $ready];
        $closed = false;
        do { // drain what TLS decrypted as well, which select may not report again
            $data = fread($from, 65536);
            if ($data === false || ($data === '' && feof($from))) {
                $closed = true;
                break;
            }
            if ($data !== '') {
                stream_set_blocking($to, true);
                fwrite($to, $data);
                stream_set_blocking($to, false);
            }
        } while ($data !== '');
        if ($closed) {
            unset($pairs[(int) $from], $pairs[(int) $to]);
            @fclose($from);
            @fclose($to);
        }
    }
}
