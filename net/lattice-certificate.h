/* lattice-certificate.h: the embedded host's self-signed certificate
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A computer that hosts a room serves wss:// with a certificate no CA
 * signed. Clients trust it only through its fingerprint (the invite link's
 * "?fp=", or a user's explicit decision), so the certificate is kept on
 * disk and reused: the fingerprint, and the links already shared, stay
 * valid between runs.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The file lattice_certificate_load_or_create() keeps in its directory:
 * the certificate and its private key, PEM, readable by the owner only. */
#define LATTICE_CERTIFICATE_FILE_NAME "host-cert.pem"

/* A new ECDSA P-256 certificate, self-signed, valid for a year: CN
 * @host_name (NULL: this computer's name), subject alternative names
 * @host_name, each of @ip_addresses (may be NULL) and 127.0.0.1. */
GTlsCertificate *lattice_certificate_new_self_signed (const char         *host_name,
                                                      const char * const *ip_addresses,
                                                      GError            **error);

/* Writes the certificate and its private key to @path (mode 0600). */
gboolean         lattice_certificate_save            (GTlsCertificate    *certificate,
                                                      const char         *path,
                                                      GError            **error);
/* Reads what lattice_certificate_save() wrote. */
GTlsCertificate *lattice_certificate_load            (const char         *path,
                                                      GError            **error);

/* Loads @directory/host-cert.pem; makes and saves a new certificate when
 * there is none, it cannot be read, or it expires within 30 days. The
 * names and addresses are used only for a new certificate: a pinned
 * certificate does not need to match them, and keeping it keeps the pin. */
GTlsCertificate *lattice_certificate_load_or_create  (const char         *directory,
                                                      const char         *host_name,
                                                      const char * const *ip_addresses,
                                                      GError            **error);

/* The certificate's fingerprint as links carry it ("sha256:…", see
 * lattice_fingerprint_is_valid()). */
char            *lattice_certificate_get_fingerprint (GTlsCertificate    *certificate);

G_END_DECLS
