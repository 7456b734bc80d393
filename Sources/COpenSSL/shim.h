#ifndef EPKI_COPENSSL_SHIM_H
#define EPKI_COPENSSL_SHIM_H
/* Only includes: the functions Swift cannot call directly live in COpenSSLShims. */
#include <openssl/opensslv.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/objects.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/rand.h>
#endif
