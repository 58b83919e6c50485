#!/usr/bin/env python3
"""Verify a stdreg export with nothing but the Python 3 standard library.

    python3 verify_checkpoint.py EXPORT [--key NAME+ID+KEY] [--position N]
                                        [--proof HEX,HEX,...] [--tree-size N]

Checks that every event line is in order, recomputes the RFC 9162 Merkle
tree over the lines, checks the Ed25519 signature of the checkpoint (the last
line) with the public key (--key, else the one shipped in the export), and
that the signed root is the recomputed root. With --position, it also checks
the inclusion proof of that event: the one given with --proof (as served by
the registry for --tree-size), or else one computed from the export, to show
how a proof is checked. Exits 1 naming the first failure.
"""

import argparse
import base64
import hashlib
import json
import sys

# --- Ed25519 signature verification, after RFC 8032 section 6 ---------------

P = 2**255 - 19
Q = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _add(a, b):
    x = (a[1] - a[0]) * (b[1] - b[0]) % P
    y = (a[1] + a[0]) * (b[1] + b[0]) % P
    c = 2 * a[3] * b[3] * D % P
    d = 2 * a[2] * b[2] % P
    e, f, g, h = y - x, d - c, d + c, y + x
    return (e * f, g * h, f * g, e * h)


def _mul(s, point):
    result = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            result = _add(result, point)
        point = _add(point, point)
        s >>= 1
    return result


def _equal(a, b):
    return (a[0] * b[2] - b[0] * a[2]) % P == 0 and (a[1] * b[2] - b[1] * a[2]) % P == 0


def _recover_x(y, sign):
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P)
    if x2 % P == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if (x & 1) != sign:
        x = P - x
    return x


def _decompress(s):
    y = int.from_bytes(s, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = _recover_x(y, sign)
    return None if x is None else (x, y, 1, x * y % P)


_GY = 4 * pow(5, P - 2, P) % P
_G = (_recover_x(_GY, 0), _GY, 1, _recover_x(_GY, 0) * _GY % P)


def ed25519_verify(public, message, signature):
    if len(public) != 32 or len(signature) != 64:
        return False
    a = _decompress(public)
    r = _decompress(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a is None or r is None or s >= Q:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public + message).digest(), "little") % Q
    return _equal(_mul(s, _G), _add(r, _mul(h, a)))


# --- RFC 9162 Merkle tree -----------------------------------------------------


def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def root(leaves):
    """MTH over a list of leaf hashes."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return node_hash(root(leaves[:k]), root(leaves[k:]))


def inclusion_path(index, leaves):
    """PATH(index, D[n]) over leaf hashes."""
    if len(leaves) <= 1:
        return []
    k = _split(len(leaves))
    if index < k:
        return inclusion_path(index, leaves[:k]) + [root(leaves[k:])]
    return inclusion_path(index - k, leaves[k:]) + [root(leaves[:k])]


def verify_inclusion(leaf, index, size, proof, expected_root):
    """RFC 9162 section 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == expected_root


# --- signed note / checkpoint ------------------------------------------------


def parse_key(text):
    name, key_id, key = text.strip().split("+", 2)
    raw = base64.b64decode(key)
    if raw[0] != 1 or len(raw) != 33:
        raise ValueError("not an Ed25519 signed-note key")
    public = raw[1:]
    expected = hashlib.sha256(name.encode() + b"\n\x01" + public).digest()[:4]
    if expected.hex() != key_id:
        raise ValueError("key id does not match the key")
    return name, expected, public


def open_checkpoint(note, key_text):
    name, key_id, public = parse_key(key_text)
    body, _, signatures = note.rpartition("\n\n")
    body += "\n"
    for line in signatures.rstrip("\n").split("\n"):
        if not line.startswith("\u2014 "):
            raise ValueError("malformed signature line")
        signer, encoded = line[2:].split(" ", 1)
        blob = base64.b64decode(encoded)
        if signer == name and blob[:4] == key_id:
            if not ed25519_verify(public, body.encode(), blob[4:]):
                raise ValueError("the signature does not verify: the checkpoint was altered")
            origin, size, root_b64 = body.split("\n")[:3]
            if origin != name:
                raise ValueError("the checkpoint is for another log")
            return int(size), base64.b64decode(root_b64)
    raise ValueError("the checkpoint is not signed by key " + key_text.strip())


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("export")
    parser.add_argument("--key")
    parser.add_argument("--position", type=int)
    parser.add_argument("--proof")
    parser.add_argument("--tree-size", type=int)
    args = parser.parse_args()

    leaves, trailer = [], None
    with open(args.export, "rb") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip(b"\n")
            if line.startswith(b'{"checkpoint"'):
                trailer = json.loads(line)
                continue
            if trailer is not None:
                fail("line %d: events after the checkpoint line" % number)
            position = len(leaves) + 1
            event = json.loads(line)
            if event.get("global_position") != position:
                fail("position %d: found the event of position %s" % (position, event.get("global_position")))
            leaves.append(leaf_hash(line))
    if trailer is None:
        fail("the export has no checkpoint line")

    key = args.key or trailer["public_key"]
    try:
        size, signed_root = open_checkpoint(trailer["checkpoint"], key)
    except ValueError as error:
        fail(str(error))
    if size != len(leaves):
        fail("the checkpoint signs %d events, the export holds %d" % (size, len(leaves)))
    if root(leaves) != signed_root:
        fail("the events do not hash to the signed root: an event at or before position %d was changed" % size)
    print("ok: %d events, root %s, signature by %s" % (size, signed_root.hex(), key.split("+")[0]))

    if args.position is not None:
        index = args.position - 1
        tree_size = args.tree_size or size
        if not 0 <= index < tree_size <= size:
            fail("position %d is not in a tree of %d events" % (args.position, tree_size))
        if args.proof is not None:
            proof = [bytes.fromhex(h) for h in args.proof.split(",") if h]
        else:
            proof = inclusion_path(index, leaves[:tree_size])
        if not verify_inclusion(leaves[index], index, tree_size, proof, root(leaves[:tree_size])):
            fail("the inclusion proof of position %d does not verify" % args.position)
        print("ok: position %d is included in the tree of %d events (%d proof hashes)" % (args.position, tree_size, len(proof)))


if __name__ == "__main__":
    main()
