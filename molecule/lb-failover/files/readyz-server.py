#!/usr/bin/python3
"""GET /readyz → 200 "ok <host>" over TLS on :6443; 500 while the not-ready file exists."""
import http.server
import os
import socket
import ssl

NOT_READY = '/etc/readyz-server/not-ready'
HOST = socket.gethostname()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        ready = not (self.path.startswith('/readyz') and os.path.exists(NOT_READY))
        body = (f'ok {HOST}\n' if ready else f'not ready {HOST}\n').encode()
        self.send_response(200 if ready else 500)
        self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def finish_request(self, request, client_address):
        # the TLS handshake runs in the request's thread, so one slow client blocks nobody
        try:
            tls = CONTEXT.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            tls.close()


CONTEXT = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
CONTEXT.load_cert_chain('/etc/readyz-server/tls.crt', '/etc/readyz-server/tls.key')
Server(('0.0.0.0', 6443), Handler).serve_forever()
