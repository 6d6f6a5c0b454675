# Health-check tests: real web servers (nginx), certificates (openssl), genhash (keepalived) and curl.
APT_PACKAGES+=(nginx openssl keepalived curl)
