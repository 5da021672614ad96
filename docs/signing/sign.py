"""Signs pixcdn image URLs with the Python standard library alone.

    PIXCDN_SIGN_KEY=... python3 sign.py '/acme/cats/tom.jpg?w=400&fm=auto' [EXP_UNIX_SECONDS]
    PIXCDN_SIGN_KEY=... python3 sign.py < urls.txt    (one 'PATH?QUERY [EXP]' a line)

or, from your code: from sign import sign_url.
"""
import base64
import hashlib
import hmac
import os
import sys


def sign_url(key, path, query="", expires=None):
    """Return path?query&exp=EXPIRES&s=SIGNATURE.

    path and query are exactly as they will be sent (percent-encoded,
    parameters in the order sent); query must contain neither s nor exp.
    expires (Unix seconds) is optional: edges answer 403 from then on.
    key is bytes or a str (encoded as UTF-8).
    """
    if isinstance(key, str):
        key = key.encode("utf-8")
    if expires is not None:
        query = (query + "&" if query else "") + "exp=%d" % int(expires)
    message = path + "?" + query if query else path
    digest = hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()
    signature = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return path + "?" + (query + "&" if query else "") + "s=" + signature


def sign_line(key, line):
    """Sign one 'PATH?QUERY [EXP_UNIX_SECONDS]' line."""
    fields = line.split()
    path, _, query = fields[0].partition("?")
    expires = int(fields[1]) if len(fields) > 1 else None
    return sign_url(key, path, query, expires)


if __name__ == "__main__":
    # As a command, signs its argument, or else each line of standard input.
    key = os.environ.get("PIXCDN_SIGN_KEY")
    if not key:
        sys.exit("usage: PIXCDN_SIGN_KEY=KEY python3 sign.py ['/TENANT/ID?OPTIONS' [EXP_UNIX_SECONDS]]")
    lines = [" ".join(sys.argv[1:])] if len(sys.argv) > 1 else sys.stdin
    for line in lines:
        if line.strip():
            print(sign_line(key, line))
