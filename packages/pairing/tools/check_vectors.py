# Independent check of PROTOCOL.md's test vectors, written from the spec text only (Python + pyca/cryptography).
# Run: python3 packages/pairing/tools/check_vectors.py
import json, hashlib, hmac, os, struct
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives import serialization
v = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'vectors.json')))
H = lambda b: bytes.fromhex(b)
def hkdf(ikm, info, L=32, salt=b''):
    if not salt: salt = b'\0'*32
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    out, t, i = b'', b'', 1
    while len(out) < L:
        t = hmac.new(prk, t + info.encode() + bytes([i]), hashlib.sha256).digest(); out += t; i += 1
    return out[:L]
E = bytes(range(16))
sid = hkdf(E, 'pairkit/v1/session-id'); ak = hkdf(E, 'pairkit/v1/auth-key')
assert sid.hex() == v['sessionId'] and ak.hex() == v['authKey']
kJ = hkdf(ak, 'pairkit/v1/confirm/joiner'); kI = hkdf(ak, 'pairkit/v1/confirm/initiator'); kA = hkdf(ak, 'pairkit/v1/confirm/joiner-ack')
assert kJ.hex()==v['confirmJoiner'] and kI.hex()==v['confirmInitiator'] and kA.hex()==v['confirmAck']
raw = lambda k: k.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
iPriv = Ed25519PrivateKey.from_private_bytes(b'\x01'*32); jPriv = Ed25519PrivateKey.from_private_bytes(b'\x02'*32)
iPub, jPub = raw(iPriv.public_key()), raw(jPriv.public_key())
iE = X25519PrivateKey.from_private_bytes(b'\x12'*32); jE = X25519PrivateKey.from_private_bytes(b'\x22'*32)
iEp, jEp = raw(iE.public_key()), raw(jE.public_key())
f = {k: H(x) for k, x in v['frames'].items()}
for k, x in f.items(): assert struct.unpack('>I', x[:4])[0] == len(x) - 4
req = f['PairingRequest'][4:]; assert req[:2] == b'\x01\x01' and req[2:34] == sid and req[34:66] == b'\x21'*32 and req[66:98] == jEp and len(req) == 98
ch = f['PairingChallenge'][4:]; assert ch[2:34] == b'\x11'*32 and ch[34:66] == iEp and ch[66:98] == iPub
iInfo = ch[98:]
def info(name, os, ver): return b''.join(bytes([len(s.encode())]) + s.encode() for s in (name, os, ver))
assert iInfo == info('alice', 'linux', '0.1.0')
jInfo = info('bob', 'linux', '0.1.0')
fields = [b'pairkit/v1/transcript', b'\x01', sid, v['initiatorPeerId'].encode(), v['joinerPeerId'].encode(), iPub, jPub, b'\x21'*32, b'\x11'*32, jEp, iEp, iInfo, jInfo]
th = hashlib.sha256(b''.join(struct.pack('>H', len(x)) + x for x in fields)).digest()
assert th.hex() == v['transcriptHash'], 'transcript'
resp = f['PairingResponse'][4:]
assert resp[2:34] == jPub and resp[34:34+len(jInfo)] == jInfo
o = 34 + len(jInfo)
assert resp[o:o+32] == hmac.new(kJ, th, hashlib.sha256).digest()
jPriv.public_key().verify(resp[o+32:o+96], b'pairkit/v1/pairing-signature/joiner' + th)
comp = f['PairingComplete'][4:]
assert comp[2:34] == hmac.new(kI, th, hashlib.sha256).digest()
iPriv.public_key().verify(comp[34:98], b'pairkit/v1/pairing-signature/initiator' + th)
assert f['PairingAck'][6:] == hmac.new(kA, th, hashlib.sha256).digest()
dh = iE.exchange(X25519PublicKey.from_public_bytes(jEp))
assert dh == jE.exchange(X25519PublicKey.from_public_bytes(iEp))
assert hkdf(ak + dh, 'pairkit/v1/session-key/initiator-to-joiner', 32, th).hex() == v['keyInitiatorToJoiner']
assert hkdf(ak + dh, 'pairkit/v1/session-key/joiner-to-initiator', 32, th).hex() == v['keyJoinerToInitiator']
n = struct.unpack('>I', hkdf(th, 'pairkit/v1/verification', 4))[0] % 1000000
assert '%06d' % n == v['verification']
# device id as in the registry README
import base64
did = base64.b32encode(hashlib.sha256(b'pairkit device id v1\0' + jPub).digest()[:20]).decode().lower().rstrip('=')
assert did == v['joinerDeviceId']
print('all vectors independently verified')
