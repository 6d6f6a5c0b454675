# Browser tier (test/browser): Debian's chromium driven by playwright-core (a devDependency,
# which downloads no browser), fonts for readable screenshots, openssl for the admin
# UI's self-signed certificate.
APT_PACKAGES+=(chromium fonts-dejavu-core fonts-liberation openssl)
