/* lattice-certificate.c: the embedded host's self-signed certificate
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "LatticeNet"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "lattice-certificate.h"
#include "lattice-link.h"

#define VALID_DAYS    365
/* Another machine's clock may run a little behind. */
#define BACKDATE_S    (24 * 60 * 60)
/* A certificate this close to expiring is replaced at start-up, before it
 * can break a meeting. */
#define RENEW_DAYS    30
#define SERIAL_BYTES  16

G_DEFINE_AUTO_CLEANUP_FREE_FUNC (gnutls_x509_crt_t, gnutls_x509_crt_deinit, NULL)
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (gnutls_x509_privkey_t, gnutls_x509_privkey_deinit, NULL)

/* Turns a GnuTLS status into a GError; TRUE when all went well. */
static gboolean
check (int          ret,
       const char  *what,
       GError     **error)
{
  if (ret >= 0)
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
               _("Could not make a certificate for this computer (%s: %s)"),
               what, gnutls_strerror (ret));
  return FALSE;
}

static gboolean
set_serial (gnutls_x509_crt_t   crt,
            GError            **error)
{
  guint8 serial[SERIAL_BYTES];

  if (!check (gnutls_rnd (GNUTLS_RND_NONCE, serial, sizeof serial), "serial", error))
    return FALSE;
  /* A serial is a positive integer (RFC 5280 §4.1.2.2), and not zero. */
  serial[0] = (serial[0] & 0x7f) | 0x01;
  return check (gnutls_x509_crt_set_serial (crt, serial, sizeof serial), "serial", error);
}

static gboolean
add_ip_address (gnutls_x509_crt_t   crt,
                const char         *address,
                GError            **error)
{
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (address);

  if (inet == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "“%s” is not an IP address", address);
      return FALSE;
    }
  /* An IP address alternative name is the address's bytes, not text. */
  return check (gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_IPADDRESS,
                                                      g_inet_address_to_bytes (inet),
                                                      (unsigned) g_inet_address_get_native_size (inet),
                                                      GNUTLS_FSAN_APPEND),
                "subject alternative name", error);
}

static gboolean
add_names (gnutls_x509_crt_t    crt,
           const char          *host_name,
           const char * const  *ip_addresses,
           GError             **error)
{
  if (g_hostname_is_ip_address (host_name))
    {
      if (!add_ip_address (crt, host_name, error))
        return FALSE;
    }
  else if (!check (gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_DNSNAME, host_name,
                                                         (unsigned) strlen (host_name),
                                                         GNUTLS_FSAN_APPEND),
                   "subject alternative name", error))
    return FALSE;

  for (guint i = 0; ip_addresses != NULL && ip_addresses[i] != NULL; i++)
    if (!add_ip_address (crt, ip_addresses[i], error))
      return FALSE;

  return add_ip_address (crt, "127.0.0.1", error);
}

/* A leaf certificate for a TLS server, signed by its own key. */
static gboolean
fill_certificate (gnutls_x509_crt_t       crt,
                  gnutls_x509_privkey_t   key,
                  const char             *host_name,
                  const char * const     *ip_addresses,
                  GError                **error)
{
  time_t now = time (NULL);
  guint8 key_id[64];
  size_t key_id_size = sizeof key_id;

  return check (gnutls_x509_crt_set_version (crt, 3), "version", error) &&
         set_serial (crt, error) &&
         check (gnutls_x509_crt_set_activation_time (crt, now - BACKDATE_S), "validity", error) &&
         check (gnutls_x509_crt_set_expiration_time (crt, now + (time_t) VALID_DAYS * 24 * 60 * 60),
                "validity", error) &&
         check (gnutls_x509_crt_set_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, 0, host_name,
                                               (unsigned) strlen (host_name)), "name", error) &&
         add_names (crt, host_name, ip_addresses, error) &&
         check (gnutls_x509_crt_set_key (crt, key), "key", error) &&
         check (gnutls_x509_crt_set_basic_constraints (crt, 0, -1), "constraints", error) &&
         check (gnutls_x509_crt_set_key_usage (crt, GNUTLS_KEY_DIGITAL_SIGNATURE), "usage", error) &&
         check (gnutls_x509_crt_set_key_purpose_oid (crt, GNUTLS_KP_TLS_WWW_SERVER, 0),
                "purpose", error) &&
         check (gnutls_x509_crt_get_key_id (crt, 0, key_id, &key_id_size), "key id", error) &&
         check (gnutls_x509_crt_set_subject_key_id (crt, key_id, key_id_size), "key id", error) &&
         check (gnutls_x509_crt_sign2 (crt, crt, key, GNUTLS_DIG_SHA256, 0), "signature", error);
}

/* The certificate and the key (PKCS #8, which every TLS backend reads),
 * one after the other: what g_tls_certificate_new_from_pem() takes. */
static char *
export_pem (gnutls_x509_crt_t       crt,
            gnutls_x509_privkey_t   key,
            GError                **error)
{
  gnutls_datum_t crt_pem = { NULL, 0 };
  gnutls_datum_t key_pem = { NULL, 0 };
  char *pem = NULL;

  if (check (gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_PEM, &crt_pem), "export", error) &&
      check (gnutls_x509_privkey_export2_pkcs8 (key, GNUTLS_X509_FMT_PEM, NULL,
                                                GNUTLS_PKCS_PLAIN, &key_pem), "export", error))
    pem = g_strdup_printf ("%.*s%.*s", (int) crt_pem.size, (const char *) crt_pem.data,
                           (int) key_pem.size, (const char *) key_pem.data);

  gnutls_free (crt_pem.data);
  gnutls_free (key_pem.data);
  return pem;
}

GTlsCertificate *
lattice_certificate_new_self_signed (const char         *host_name,
                                     const char * const *ip_addresses,
                                     GError            **error)
{
  g_auto(gnutls_x509_privkey_t) key = NULL;
  g_auto(gnutls_x509_crt_t) crt = NULL;
  g_autofree char *pem = NULL;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (host_name == NULL || host_name[0] == '\0')
    host_name = g_get_host_name ();

  if (!check (gnutls_x509_privkey_init (&key), "key", error) ||
      !check (gnutls_x509_privkey_generate (key, GNUTLS_PK_ECDSA,
                                            GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1), 0),
              "key", error) ||
      !check (gnutls_x509_crt_init (&crt), "certificate", error) ||
      !fill_certificate (crt, key, host_name, ip_addresses, error))
    return NULL;

  pem = export_pem (crt, key, error);
  if (pem == NULL)
    return NULL;
  return g_tls_certificate_new_from_pem (pem, -1, error);
}

gboolean
lattice_certificate_save (GTlsCertificate  *certificate,
                          const char       *path,
                          GError          **error)
{
  g_autofree char *crt_pem = NULL;
  g_autofree char *key_pem = NULL;
  g_autofree char *contents = NULL;

  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (certificate), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  g_object_get (certificate, "certificate-pem", &crt_pem, "private-key-pem", &key_pem, NULL);
  if (crt_pem == NULL || key_pem == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _("The certificate cannot be saved: its private key is not available"));
      return FALSE;
    }

  contents = g_strconcat (crt_pem, key_pem, NULL);
  /* Only the owner may read the private key. */
  return g_file_set_contents_full (path, contents, -1, G_FILE_SET_CONTENTS_CONSISTENT,
                                   0600, error);
}

GTlsCertificate *
lattice_certificate_load (const char  *path,
                          GError     **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_tls_certificate_new_from_file (path, error);
}

static gboolean
expires_soon (GTlsCertificate *certificate)
{
  g_autoptr(GDateTime) not_after = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  g_object_get (certificate, "not-valid-after", &not_after, NULL);
  /* A backend that cannot tell gets the benefit of the doubt. */
  if (not_after == NULL)
    return FALSE;
  return g_date_time_difference (not_after, now) < (GTimeSpan) RENEW_DAYS * G_TIME_SPAN_DAY;
}

GTlsCertificate *
lattice_certificate_load_or_create (const char         *directory,
                                    const char         *host_name,
                                    const char * const *ip_addresses,
                                    GError            **error)
{
  g_autofree char *path = NULL;
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GError) load_error = NULL;

  g_return_val_if_fail (directory != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  path = g_build_filename (directory, LATTICE_CERTIFICATE_FILE_NAME, NULL);
  certificate = lattice_certificate_load (path, &load_error);
  if (certificate != NULL && !expires_soon (certificate))
    return g_steal_pointer (&certificate);

  if (certificate != NULL)
    g_message ("The host certificate in %s expires soon; making a new one", path);
  else if (!g_error_matches (load_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    g_message ("Making a new host certificate: %s", load_error->message);
  g_clear_object (&certificate);

  if (g_mkdir_with_parents (directory, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Could not create the folder %s: %s"), directory, g_strerror (saved_errno));
      return NULL;
    }
  certificate = lattice_certificate_new_self_signed (host_name, ip_addresses, error);
  if (certificate == NULL || !lattice_certificate_save (certificate, path, error))
    return NULL;
  return g_steal_pointer (&certificate);
}

char *
lattice_certificate_get_fingerprint (GTlsCertificate *certificate)
{
  g_autoptr(GByteArray) der = NULL;
  g_autoptr(GChecksum) checksum = NULL;
  guint8 digest[32];
  gsize digest_len = sizeof digest;

  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (certificate), NULL);

  g_object_get (certificate, "certificate", &der, NULL);
  g_return_val_if_fail (der != NULL, NULL);

  checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (checksum, der->data, der->len);
  g_checksum_get_digest (checksum, digest, &digest_len);
  return lattice_fingerprint_from_digest (digest, digest_len);
}
