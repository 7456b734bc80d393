#ifndef EPKI_COPENSSL_SHIMS_H
#define EPKI_COPENSSL_SHIMS_H
/*
 * The few OpenSSL operations epki needs, as plain C functions Swift can call:
 * OpenSSL's macros, variadics and OSSL_PARAM arrays do not import into Swift.
 * Everything here is arithmetic or key storage; encodings of certificates, CRLs
 * and CMS are built in Swift.
 */
#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

/* Pops the most recent error from OpenSSL's queue, writes its text, clears the rest. Returns the reason code (0: none). */
int epki_last_error(char *buffer, size_t length);
void epki_free(void *pointer);

/* Key generation. group is an OpenSSL group name ("brainpoolP256r1", "prime256v1"). */
EVP_PKEY *epki_ec_generate(const char *group, int explicitParameters);
EVP_PKEY *epki_rsa_generate(unsigned int bits);
/* 1 when the key prefers explicit EC parameters in its encodings, 0 otherwise. */
int epki_ec_uses_explicit_parameters(const EVP_PKEY *key);
/* Writes the group's short name ("brainpoolP256r1"), or an empty string when OpenSSL knows no name for it. */
int epki_ec_group_name(const EVP_PKEY *key, char *buffer, size_t length);
/* ECParameters of a named group in explicit form (SpecifiedECDomain DER); *out must be freed with epki_free. */
int epki_ec_group_explicit_der(const char *group, uint8_t **out);
/* Field size in bytes of an EC key (the length of r and of s in a plain signature). */
int epki_ec_field_bytes(const EVP_PKEY *key);

/* SubjectPublicKeyInfo <-> EVP_PKEY. */
EVP_PKEY *epki_public_key_from_spki(const uint8_t *der, size_t length);
/* An EC public key from the OpenSSL name of its curve and its point (X9.62 encoding); NULL when the point is not on
   the curve. For keys on a curve epki knows, named or with that curve's explicit domain parameters. */
EVP_PKEY *epki_public_key_from_ec_point(const char *groupName, const uint8_t *point, size_t length);
int epki_public_key_to_spki(const EVP_PKEY *key, uint8_t **out);

/*
 * Private keys: PKCS#8 only. Encoding always encrypts (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC).
 * Decoding takes PEM or DER; *encrypted tells whether the input was an EncryptedPrivateKeyInfo.
 */
int epki_private_key_encode(const EVP_PKEY *key, int pem, const char *passphrase, size_t passphraseLength,
                            uint8_t **out, size_t *outLength);
/* Unencrypted DER PrivateKeyInfo, for sealing inside another encryption (never for a file of its own). */
int epki_private_key_encode_plain(const EVP_PKEY *key, uint8_t **out, size_t *outLength);
/* The private scalar of an EC key, big-endian, left-padded to length bytes. Returns 1, or 0 on error. */
int epki_ec_private_scalar(const EVP_PKEY *key, uint8_t *out, size_t length);
EVP_PKEY *epki_private_key_decode(const uint8_t *data, size_t length, const char *passphrase, size_t passphraseLength);

/* Signatures. md is an OpenSSL digest name; for RSASSA-PSS, pss=1 with saltLength and mgf1md. */
size_t epki_max_signature_size(const EVP_PKEY *key);

/* A signing (forSigning 1) or verifying context of one key, set up once: digest, PSS padding, salt and MGF1.
   EVP_PKEY_sign and EVP_PKEY_verify may be called on it again and again, one thread at a time; setting it up
   (provider look-ups, parameter checks) costs more than a P-256 signature's hashing. NULL on failure. */
EVP_PKEY_CTX *epki_signature_context_new(EVP_PKEY *key, int forSigning, const char *md, int pss, int saltLength,
                                         const char *mgf1md);
void epki_signature_context_free(EVP_PKEY_CTX *context);
/* Signs a digest already computed with the context's hash. 1 on success. */
int epki_sign_digest(EVP_PKEY_CTX *context, const uint8_t *digest, size_t digestLength, uint8_t *signature,
                     size_t *signatureLength);
/* 1 valid, 0 invalid (including malformed signatures), -1 when the check could not be made. */
int epki_verify_digest(EVP_PKEY_CTX *context, const uint8_t *digest, size_t digestLength, const uint8_t *signature,
                       size_t signatureLength);

/* One-shot digest. Returns the digest length, or 0 on error. */
int epki_digest(const char *md, const uint8_t *data, size_t length, uint8_t *out);

/* Streaming digest for large inputs (CRLs of a million entries). */
EVP_MD_CTX *epki_digest_begin(const char *md);
int epki_digest_update(EVP_MD_CTX *context, const uint8_t *data, size_t length);
int epki_digest_end(EVP_MD_CTX *context, uint8_t *out);

int epki_random(uint8_t *out, size_t length);

/* Block cipher over whole blocks without padding: name is an OpenSSL cipher ("AES-128-CBC", "AES-256-ECB",
   "DES-EDE3-CBC", "DES-EDE3-ECB"); iv is NULL for ECB. Returns the output length, or -1 on error. */
int epki_block_cipher(const char *name, int encrypt, const uint8_t *key, size_t keyLength, const uint8_t *iv,
                      const uint8_t *in, size_t length, uint8_t *out);
/* PBKDF2-HMAC-SHA256 (RFC 8018): fills out with length bytes. Returns 1, or 0 on error. */
int epki_pbkdf2_sha256(const uint8_t *password, size_t passwordLength, const uint8_t *salt, size_t saltLength,
                       unsigned int iterations, uint8_t *out, size_t length);
/* CMAC (NIST SP 800-38B) with the named CBC cipher ("AES-128-CBC"). Returns the MAC length, or -1 on error. */
int epki_cmac(const char *cipherName, const uint8_t *key, size_t keyLength, const uint8_t *data, size_t length,
              uint8_t *out, size_t outCapacity);

/* Chip secure messaging (ICAO Doc 9303-11 §9.8) with the session keys set up once (secure_messaging.c): aes 0 is
   two-key 3DES (keys of 16 bytes, K1 ‖ K2), aes 1 is AES (keys of 16, 24 or 32 bytes). NULL on error. One thread
   at a time: the AES contexts change with every call. */
typedef struct epki_sm_keys epki_sm_keys;
epki_sm_keys *epki_sm_keys_new(int aes, const uint8_t *encryptionKey, const uint8_t *macKey, size_t keyLength);
void epki_sm_keys_free(epki_sm_keys *keys);
/* CBC with the encryption key over whole blocks (8 or 16 bytes), from the given IV of one block (NULL: zeros).
   Returns 1, or 0. */
int epki_sm_cbc(epki_sm_keys *keys, int encrypt, const uint8_t *iv, const uint8_t *in, size_t length, uint8_t *out);
/* The 8-byte MAC with the MAC key over whole blocks, padded by the caller: 3DES the retail MAC (ISO/IEC 9797-1 MAC
   algorithm 3), AES the CMAC cut to 8 bytes. Returns 1, or 0. */
int epki_sm_mac(epki_sm_keys *keys, const uint8_t *in, size_t length, uint8_t *out);
/* The retail MAC with a 16-byte key K1 ‖ K2 over whole 8-byte blocks; writes 8 bytes. Returns 1, or 0. */
int epki_retail_mac(const uint8_t *key, const uint8_t *in, size_t length, uint8_t *out);

/* r = a·P + b·Q on the named group (an OpenSSL short name: "brainpoolP256r1", "prime256v1"). P and Q are points in
   X9.62 encoding, P NULL meaning the group's generator; a term whose scalar has length 0 is left out. Writes r
   uncompressed; returns its length, or -1 (a point not on the curve, or r at infinity). */
int epki_ec_linear(const char *groupName, const uint8_t *a, size_t aLength, const uint8_t *p, size_t pLength,
                   const uint8_t *b, size_t bLength, const uint8_t *q, size_t qLength, uint8_t *out, size_t capacity);
/* The finite-field group of a name OpenSSL knows ("dh_1024_160", "dh_2048_224", "dh_2048_256": RFC 5114 §2.1–2.3,
   the standardized DH domain parameters 0–2 of TR-03110-3 / Doc 9303-11). Writes p, g and q big-endian, each
   left-padded to the length of p (*length); returns 1, or 0 on error. */
int epki_dh_group(const char *name, uint8_t *p, uint8_t *g, uint8_t *q, size_t capacity, size_t *length);
/* Raw RSA without padding (ISO/IEC 9796-2 Active Authentication): usePrivate 1 signs a representative, 0 recovers
   it from a signature. *outLength is the capacity on entry, the length on return. 1 on success. */
int epki_rsa_raw(EVP_PKEY *key, int usePrivate, const uint8_t *in, size_t inLength, uint8_t *out, size_t *outLength);
/* numerator · denominator⁻¹ modulo the named group's order, big-endian padded to the order's length; -1 on error. */
int epki_ec_scalar_divide(const char *groupName, const uint8_t *numerator, size_t numeratorLength, const uint8_t *denominator,
                          size_t denominatorLength, uint8_t *out, size_t capacity);
/* The order of the named group's generator, big-endian; returns its length or -1. */
int epki_ec_group_order(const char *groupName, uint8_t *out, size_t capacity);
/* The prime p and the coefficients of the named group's curve y² = x³ + a·x + b, each big-endian, left-padded to
   length bytes (the field's). Returns length, or -1 (an unknown group, or length too short). */
int epki_ec_group_curve(const char *groupName, uint8_t *p, uint8_t *a, uint8_t *b, size_t length);

/* Arithmetic modulo m on big-endian unsigned integers, for the point encoding of PACE's Integrated Mapping (ICAO Doc
   9303-11 App. B): r = a + b, a − b, a · b, a^b, a⁻¹ (b unused) or a reduced (b unused), modulo m. Writes r left-padded
   to m's length; returns that length, or -1 (m zero, or even for a power; a without an inverse; capacity too small). */
typedef enum {
    EPKI_MOD_ADD,
    EPKI_MOD_SUBTRACT,
    EPKI_MOD_MULTIPLY,
    EPKI_MOD_POWER,
    EPKI_MOD_INVERSE,
    EPKI_MOD_REDUCE,
} epki_mod_operation;
int epki_mod_arithmetic(epki_mod_operation operation, const uint8_t *a, size_t aLength, const uint8_t *b, size_t bLength,
                        const uint8_t *m, size_t mLength, uint8_t *out, size_t capacity);

#endif
