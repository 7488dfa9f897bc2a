#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Throwaway PKI for the tests: certs.sh DIR makes, in DIR, a CA, a server
# certificate for localhost, one client certificate per name given in
# $CERT_CLIENTS, and a second CA with a certificate that impersonates the
# first client name, to check that only the configured CA is trusted.
set -eu
dir=$1
mkdir -p "$dir"
cd "$dir"

ec() { echo "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"; }

make_ca() { # NAME
	openssl req -x509 $(ec) -keyout "$1.key" -out "$1.pem" -days 2 \
		-subj "/CN=$1" -addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}

make_leaf() { # CA NAME FILE EXTENSIONS
	openssl req $(ec) -keyout "$3.key" -out "$3.csr" -subj "/CN=$2" 2>/dev/null
	printf '%s\n' "$4" > "$3.ext"
	openssl x509 -req -in "$3.csr" -CA "$1.pem" -CAkey "$1.key" -CAcreateserial \
		-days 2 -out "$3.pem" -extfile "$3.ext" 2>/dev/null
	rm -f "$3.csr" "$3.ext"
}

make_ca ca
make_ca wrong-ca
make_leaf ca localhost server \
	"subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1
extendedKeyUsage=serverAuth"
for name in ${CERT_CLIENTS:-}; do
	make_leaf ca "$name" "$name" "subjectAltName=DNS:$name
extendedKeyUsage=clientAuth"
done
first=${CERT_CLIENTS%% *}
make_leaf wrong-ca "$first" impostor "subjectAltName=DNS:$first
extendedKeyUsage=clientAuth"
# A certificate for servers only, from the right CA: not valid for clients.
make_leaf ca "$first" serveronly "subjectAltName=DNS:$first
extendedKeyUsage=serverAuth"
