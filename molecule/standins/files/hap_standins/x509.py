"""Certificate helpers: the CA public-key pin (DER walk, stdlib) and client certificates (openssl CLI)."""
import base64
import hashlib
import os
import subprocess
import tempfile


def pem_blocks(text, label='CERTIFICATE'):
    out, cur = [], None
    for line in text.splitlines():
        if line.startswith(f'-----BEGIN {label}-----'):
            cur = []
        elif line.startswith(f'-----END {label}-----') and cur is not None:
            out.append(base64.b64decode(''.join(cur)))
            cur = None
        elif cur is not None:
            cur.append(line.strip())
    return out


def _tlv(der, i):
    """(tag, start of value, end of value) of the DER element at i."""
    tag = der[i]
    n = der[i + 1]
    j = i + 2
    if n & 0x80:
        count = n & 0x7F
        n = int.from_bytes(der[j:j + count], 'big')
        j += count
    return tag, j, j + n


def spki_der(cert_der):
    """The DER SubjectPublicKeyInfo of a certificate (what kubeadm's pin hashes)."""
    _, start, _ = _tlv(cert_der, 0)          # Certificate
    _, i, end = _tlv(cert_der, start)        # TBSCertificate
    fields = []
    while i < end and len(fields) < 7:
        tag, vs, ve = _tlv(cert_der, i)
        fields.append((tag, i, ve))
        i = ve
    if fields[0][0] == 0xA0:                 # explicit version
        fields = fields[1:]
    # serial, signature, issuer, validity, subject, subjectPublicKeyInfo
    _, s, e = fields[5]
    return cert_der[s:e]


def ca_pin(cert_pem):
    der = pem_blocks(cert_pem)[0]
    return 'sha256:' + hashlib.sha256(spki_der(der)).hexdigest()


def issue_client(ca_crt, ca_key, cn, orgs=(), days=365, algorithm='RSA-2048'):
    """A client certificate signed by the cluster CA, as (cert PEM, key PEM)."""
    with tempfile.TemporaryDirectory() as d:
        key = os.path.join(d, 'k.pem')
        csr = os.path.join(d, 'c.csr')
        crt = os.path.join(d, 'c.crt')
        ext = os.path.join(d, 'ext.cnf')
        if algorithm.startswith('ECDSA'):
            curve = 'prime256v1' if algorithm.endswith('P256') else 'secp384r1'
            keygen = ['openssl', 'genpkey', '-algorithm', 'EC', '-pkeyopt', f'ec_paramgen_curve:{curve}', '-out', key]
        else:
            keygen = ['openssl', 'genpkey', '-algorithm', 'RSA', '-pkeyopt', f'rsa_keygen_bits:{algorithm.split("-")[1]}', '-out', key]
        subprocess.run(keygen, check=True, capture_output=True)
        subj = ''.join(f'/O={o}' for o in orgs) + f'/CN={cn}'
        subprocess.run(['openssl', 'req', '-new', '-key', key, '-subj', subj, '-out', csr], check=True, capture_output=True)
        with open(ext, 'w') as f:
            f.write('keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\nbasicConstraints=critical,CA:FALSE\n')
        subprocess.run(['openssl', 'x509', '-req', '-in', csr, '-CA', ca_crt, '-CAkey', ca_key, '-set_serial',
                        str(int.from_bytes(os.urandom(8), 'big')), '-days', str(days), '-extfile', ext, '-out', crt],
                       check=True, capture_output=True)
        with open(crt) as c, open(key) as k:
            return c.read(), k.read()


def not_after(cert_path):
    r = subprocess.run(['openssl', 'x509', '-noout', '-enddate', '-in', cert_path], capture_output=True, text=True)
    return r.stdout.strip().split('=', 1)[-1] if r.returncode == 0 else None
