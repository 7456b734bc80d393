#include "COpenSSLShims.h"
#include <pthread.h>
#include <limits.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

int epki_last_error(char *buffer, size_t length) {
    unsigned long code = ERR_peek_last_error();
    if (buffer != NULL && length > 0) {
        buffer[0] = 0;
        if (code != 0) ERR_error_string_n(code, buffer, length);
    }
    ERR_clear_error();
    return (int)ERR_GET_REASON(code);
}

void epki_free(void *pointer) { OPENSSL_free(pointer); }

EVP_PKEY *epki_ec_generate(const char *group, int explicitParameters) {
    EVP_PKEY *key = NULL;
    EVP_PKEY_CTX *context = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (context == NULL) return NULL;
    OSSL_PARAM params[4];
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)group, 0);
    params[1] = OSSL_PARAM_construct_utf8_string(
        OSSL_PKEY_PARAM_EC_ENCODING,
        explicitParameters ? OSSL_PKEY_EC_ENCODING_EXPLICIT : OSSL_PKEY_EC_ENCODING_GROUP, 0);
    /* Doc 9303-12 asks for uncompressed points. */
    params[2] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                                 OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED, 0);
    params[3] = OSSL_PARAM_construct_end();
    if (EVP_PKEY_keygen_init(context) <= 0 || EVP_PKEY_CTX_set_params(context, params) <= 0 ||
        EVP_PKEY_generate(context, &key) <= 0) {
        key = NULL;
    }
    EVP_PKEY_CTX_free(context);
    return key;
}

EVP_PKEY *epki_rsa_generate(unsigned int bits) {
    EVP_PKEY *key = NULL;
    EVP_PKEY_CTX *context = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    if (context == NULL) return NULL;
    if (EVP_PKEY_keygen_init(context) <= 0 || EVP_PKEY_CTX_set_rsa_keygen_bits(context, (int)bits) <= 0 ||
        EVP_PKEY_generate(context, &key) <= 0) {
        key = NULL;
    }
    EVP_PKEY_CTX_free(context);
    return key;
}

int epki_ec_uses_explicit_parameters(const EVP_PKEY *key) {
    char encoding[32] = {0};
    size_t used = 0;
    if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_EC_ENCODING, encoding, sizeof encoding, &used)) return 0;
    return strcmp(encoding, OSSL_PKEY_EC_ENCODING_EXPLICIT) == 0;
}

int epki_ec_group_name(const EVP_PKEY *key, char *buffer, size_t length) {
    size_t used = 0;
    if (length == 0) return 0;
    buffer[0] = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, buffer, length, &used)) return 1;
    ERR_clear_error();
    return 0;
}

int epki_ec_group_explicit_der(const char *group, uint8_t **out) {
    int nid = OBJ_sn2nid(group);
    if (nid == NID_undef) nid = EC_curve_nist2nid(group);
    if (nid == NID_undef) return 0;
    EC_GROUP *ecGroup = EC_GROUP_new_by_curve_name(nid);
    if (ecGroup == NULL) return 0;
    EC_GROUP_set_asn1_flag(ecGroup, OPENSSL_EC_EXPLICIT_CURVE);
    EC_GROUP_set_point_conversion_form(ecGroup, POINT_CONVERSION_UNCOMPRESSED);
    *out = NULL;
    int length = i2d_ECPKParameters(ecGroup, out);
    EC_GROUP_free(ecGroup);
    return length;
}

int epki_ec_field_bytes(const EVP_PKEY *key) {
    int bits = EVP_PKEY_get_bits(key);
    return bits <= 0 ? 0 : (bits + 7) / 8;
}

EVP_PKEY *epki_public_key_from_spki(const uint8_t *der, size_t length) {
    const unsigned char *cursor = der;
    return d2i_PUBKEY(NULL, &cursor, (long)length);
}

/* d2i_PUBKEY sets up OpenSSL 3.0's decoder machinery for every key, and for explicit parameters also builds the
   group from them, compares it with every curve OpenSSL knows and builds it again by name when one matches
   (EC_GROUP_new_from_ecparameters): a few hundred microseconds, more than a signature check with the key. The caller
   has already matched the curve, so the key is made from its name and the point. Importing the point checks that it
   lies on the curve. */
EVP_PKEY *epki_public_key_from_ec_point(const char *groupName, const uint8_t *point, size_t length) {
    EVP_PKEY_CTX *context = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    EVP_PKEY *key = NULL;
    OSSL_PARAM parameters[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)groupName, 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)point, length),
        OSSL_PARAM_construct_end(),
    };
    if (context == NULL || EVP_PKEY_fromdata_init(context) <= 0 ||
        EVP_PKEY_fromdata(context, &key, EVP_PKEY_PUBLIC_KEY, parameters) <= 0) {
        EVP_PKEY_free(key);
        key = NULL;
        ERR_clear_error();  /* the caller falls back to d2i_PUBKEY, whose error is the one to report */
    }
    EVP_PKEY_CTX_free(context);
    return key;
}

int epki_public_key_to_spki(const EVP_PKEY *key, uint8_t **out) {
    *out = NULL;
    return i2d_PUBKEY(key, out);
}

int epki_private_key_encode(const EVP_PKEY *key, int pem, const char *passphrase, size_t passphraseLength,
                            uint8_t **out, size_t *outLength) {
    int ok = 0;
    OSSL_ENCODER_CTX *context = OSSL_ENCODER_CTX_new_for_pkey(key, EVP_PKEY_KEYPAIR, pem ? "PEM" : "DER",
                                                              "EncryptedPrivateKeyInfo", NULL);
    if (context == NULL || OSSL_ENCODER_CTX_get_num_encoders(context) == 0) goto done;
    if (!OSSL_ENCODER_CTX_set_cipher(context, "AES-256-CBC", NULL)) goto done;
    if (!OSSL_ENCODER_CTX_set_passphrase(context, (const unsigned char *)passphrase, passphraseLength)) goto done;
    *out = NULL;
    *outLength = 0;
    ok = OSSL_ENCODER_to_data(context, out, outLength);
done:
    OSSL_ENCODER_CTX_free(context);
    return ok;
}

int epki_private_key_encode_plain(const EVP_PKEY *key, uint8_t **out, size_t *outLength) {
    int ok = 0;
    OSSL_ENCODER_CTX *context = OSSL_ENCODER_CTX_new_for_pkey(key, EVP_PKEY_KEYPAIR, "DER", "PrivateKeyInfo", NULL);
    if (context == NULL || OSSL_ENCODER_CTX_get_num_encoders(context) == 0) goto done;
    *out = NULL;
    *outLength = 0;
    ok = OSSL_ENCODER_to_data(context, out, outLength);
done:
    OSSL_ENCODER_CTX_free(context);
    return ok;
}

int epki_ec_private_scalar(const EVP_PKEY *key, uint8_t *out, size_t length) {
    BIGNUM *scalar = NULL;
    if (!EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &scalar)) return 0;
    int ok = BN_bn2binpad(scalar, out, (int)length) == (int)length;
    BN_clear_free(scalar);
    return ok;
}

EVP_PKEY *epki_private_key_decode(const uint8_t *data, size_t length, const char *passphrase, size_t passphraseLength) {
    EVP_PKEY *key = NULL;
    OSSL_DECODER_CTX *context = OSSL_DECODER_CTX_new_for_pkey(&key, NULL, NULL, NULL, EVP_PKEY_KEYPAIR, NULL, NULL);
    if (context == NULL) return NULL;
    /* Always set one, even empty: without it OpenSSL would prompt on the terminal for an encrypted key. */
    OSSL_DECODER_CTX_set_passphrase(context, (const unsigned char *)(passphrase ? passphrase : ""),
                                    passphrase ? passphraseLength : 0);
    const unsigned char *cursor = data;
    size_t remaining = length;
    if (!OSSL_DECODER_from_data(context, &cursor, &remaining)) {
        EVP_PKEY_free(key);
        key = NULL;
    }
    OSSL_DECODER_CTX_free(context);
    return key;
}

/* Digests fetched once per process: fetching by name on every signature costs microseconds that show on
   fast curves (P-256 signs in ~20 us). Fetched EVP_MDs are immutable and safe to share between threads. */
static const char *const digest_names[] = {"SHA1", "SHA224", "SHA256", "SHA384", "SHA512"};
static EVP_MD *digest_cache[5];
static pthread_once_t digest_once = PTHREAD_ONCE_INIT;

static void fetch_digests(void) {
    for (int i = 0; i < 5; i++) digest_cache[i] = EVP_MD_fetch(NULL, digest_names[i], NULL);
}

static const EVP_MD *digest_named(const char *name) {
    pthread_once(&digest_once, fetch_digests);
    for (int i = 0; i < 5; i++) {
        if (strcmp(name, digest_names[i]) == 0 && digest_cache[i] != NULL) return digest_cache[i];
    }
    return NULL;
}

static int configure(EVP_PKEY_CTX *context, int pss, int saltLength, const char *mgf1md) {
    if (!pss) return 1;
    if (EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_PSS_PADDING) <= 0) return 0;
    if (EVP_PKEY_CTX_set_rsa_pss_saltlen(context, saltLength) <= 0) return 0;
    if (mgf1md != NULL && EVP_PKEY_CTX_set_rsa_mgf1_md_name(context, mgf1md, NULL) <= 0) return 0;
    return 1;
}

EVP_PKEY_CTX *epki_signature_context_new(EVP_PKEY *key, int forSigning, const char *md, int pss, int saltLength,
                                         const char *mgf1md) {
    const EVP_MD *digest = digest_named(md);
    if (digest == NULL) return NULL;
    EVP_PKEY_CTX *context = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
    if (context == NULL) return NULL;
    int ok = (forSigning ? EVP_PKEY_sign_init(context) : EVP_PKEY_verify_init(context)) > 0 &&
             configure(context, pss, saltLength, mgf1md) && EVP_PKEY_CTX_set_signature_md(context, digest) > 0;
    if (!ok) {
        EVP_PKEY_CTX_free(context);
        return NULL;
    }
    return context;
}

void epki_signature_context_free(EVP_PKEY_CTX *context) { EVP_PKEY_CTX_free(context); }

int epki_sign_digest(EVP_PKEY_CTX *context, const uint8_t *digest, size_t digestLength, uint8_t *signature,
                     size_t *signatureLength) {
    return EVP_PKEY_sign(context, signature, signatureLength, digest, digestLength) > 0;
}

int epki_verify_digest(EVP_PKEY_CTX *context, const uint8_t *digest, size_t digestLength, const uint8_t *signature,
                       size_t signatureLength) {
    int rc = EVP_PKEY_verify(context, signature, signatureLength, digest, digestLength);
    if (rc == 1) return 1;
    /* A malformed signature (bad DER, wrong length) is an invalid signature, not a failure to check. */
    ERR_clear_error();
    return 0;
}

size_t epki_max_signature_size(const EVP_PKEY *key) {
    int size = EVP_PKEY_get_size(key);
    return size > 0 ? (size_t)size : 0;
}

int epki_digest(const char *md, const uint8_t *data, size_t length, uint8_t *out) {
    unsigned int outLength = 0;
    const EVP_MD *digest = digest_named(md);
    if (digest == NULL) return 0;
    int ok = EVP_Digest(data, length, out, &outLength, digest, NULL);
    return ok ? (int)outLength : 0;
}

EVP_MD_CTX *epki_digest_begin(const char *md) {
    EVP_MD_CTX *context = EVP_MD_CTX_new();
    EVP_MD *digest = EVP_MD_fetch(NULL, md, NULL);
    if (context == NULL || digest == NULL || !EVP_DigestInit_ex2(context, digest, NULL)) {
        EVP_MD_free(digest);
        EVP_MD_CTX_free(context);
        return NULL;
    }
    EVP_MD_free(digest);
    return context;
}

int epki_digest_update(EVP_MD_CTX *context, const uint8_t *data, size_t length) {
    return EVP_DigestUpdate(context, data, length);
}

int epki_digest_end(EVP_MD_CTX *context, uint8_t *out) {
    unsigned int outLength = 0;
    int ok = EVP_DigestFinal_ex(context, out, &outLength);
    EVP_MD_CTX_free(context);
    return ok ? (int)outLength : 0;
}

int epki_random(uint8_t *out, size_t length) { return RAND_bytes(out, (int)length); }

/* Block ciphers for chip secure messaging (ICAO Doc 9303-11 §9.8): whole blocks, no padding (the caller pads with
   ISO/IEC 9797-1 method 2). */
int epki_block_cipher(const char *name, int encrypt, const uint8_t *key, size_t keyLength, const uint8_t *iv,
                      const uint8_t *in, size_t length, uint8_t *out) {
    EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, name, NULL);
    if (cipher == NULL) return -1;
    int result = -1;
    EVP_CIPHER_CTX *context = EVP_CIPHER_CTX_new();
    if (context != NULL && (size_t)EVP_CIPHER_get_key_length(cipher) == keyLength &&
        EVP_CipherInit_ex2(context, cipher, key, iv, encrypt, NULL) && EVP_CIPHER_CTX_set_padding(context, 0)) {
        int written = 0, final = 0;
        if (length <= INT32_MAX && EVP_CipherUpdate(context, out, &written, in, (int)length) &&
            EVP_CipherFinal_ex(context, out + written, &final)) {
            result = written + final;
        }
    }
    EVP_CIPHER_CTX_free(context);
    EVP_CIPHER_free(cipher);
    return result;
}

int epki_pbkdf2_sha256(const uint8_t *password, size_t passwordLength, const uint8_t *salt, size_t saltLength,
                       unsigned int iterations, uint8_t *out, size_t length) {
    if (passwordLength > INT_MAX || saltLength > INT_MAX || length > INT_MAX || iterations == 0 || iterations > INT_MAX) return 0;
    return PKCS5_PBKDF2_HMAC((const char *)password, (int)passwordLength, salt, (int)saltLength, (int)iterations,
                             EVP_sha256(), (int)length, out);
}

int epki_cmac(const char *cipherName, const uint8_t *key, size_t keyLength, const uint8_t *data, size_t length,
              uint8_t *out, size_t outCapacity) {
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "CMAC", NULL);
    if (mac == NULL) return -1;
    int result = -1;
    EVP_MAC_CTX *context = EVP_MAC_CTX_new(mac);
    OSSL_PARAM parameters[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, (char *)cipherName, 0),
        OSSL_PARAM_construct_end(),
    };
    size_t written = 0;
    if (context != NULL && EVP_MAC_init(context, key, keyLength, parameters) && EVP_MAC_update(context, data, length) &&
        EVP_MAC_final(context, out, &written, outCapacity)) {
        result = (int)written;
    }
    EVP_MAC_CTX_free(context);
    EVP_MAC_free(mac);
    return result;
}

/* EC point arithmetic for the chip access protocols (PACE mapping and key agreement, Chip Authentication): the
   mapped generator of PACE is no named group's, so these work on points, not on EVP keys. */
static EC_GROUP *group_named(const char *name) {
    int nid = OBJ_sn2nid(name);
    if (nid == NID_undef) nid = OBJ_txt2nid(name);
    return nid == NID_undef ? NULL : EC_GROUP_new_by_curve_name(nid);
}

/* Each named group is built once per process and then only read, which OpenSSL allows from any thread: building one
   sets up Montgomery arithmetic for its field and its order, and a PACE run with Chip Authentication asks for a group
   about ten times. The groups stay until the process ends (a handful of curves). */
enum { EPKI_SHARED_GROUPS = 24 };
static pthread_mutex_t shared_groups_lock = PTHREAD_MUTEX_INITIALIZER;
static struct { char name[40]; EC_GROUP *group; } shared_groups[EPKI_SHARED_GROUPS];

/* The named group; *owned is set when the table was full and the caller must free it. */
static const EC_GROUP *group_shared(const char *name, EC_GROUP **owned) {
    *owned = NULL;
    const EC_GROUP *found = NULL;
    pthread_mutex_lock(&shared_groups_lock);
    int index = 0;
    for (; index < EPKI_SHARED_GROUPS && shared_groups[index].group != NULL; index++) {
        if (strcmp(shared_groups[index].name, name) == 0) {
            found = shared_groups[index].group;
            break;
        }
    }
    if (found == NULL) {
        EC_GROUP *group = group_named(name);
        if (group != NULL && index < EPKI_SHARED_GROUPS && strlen(name) < sizeof(shared_groups[index].name)) {
            strcpy(shared_groups[index].name, name);
            shared_groups[index].group = group;
        } else {
            *owned = group;
        }
        found = group;
    }
    pthread_mutex_unlock(&shared_groups_lock);
    return found;
}

int epki_ec_linear(const char *groupName, const uint8_t *a, size_t aLength, const uint8_t *p, size_t pLength,
                   const uint8_t *b, size_t bLength, const uint8_t *q, size_t qLength, uint8_t *out, size_t capacity) {
    EC_GROUP *owned;
    const EC_GROUP *group = group_shared(groupName, &owned);
    if (group == NULL) return -1;
    BN_CTX *context = BN_CTX_new();
    EC_POINT *result = EC_POINT_new(group), *term = EC_POINT_new(group), *point = EC_POINT_new(group);
    BIGNUM *scalar = BN_new();
    int length = -1;
    if (context == NULL || result == NULL || term == NULL || point == NULL || scalar == NULL) goto done;
    if (!EC_POINT_set_to_infinity(group, result)) goto done;
    for (int i = 0; i < 2; i++) {
        const uint8_t *s = i == 0 ? a : b, *pt = i == 0 ? p : q;
        size_t sLength = i == 0 ? aLength : bLength, ptLength = i == 0 ? pLength : qLength;
        if (sLength == 0) continue;
        if (BN_bin2bn(s, (int)sLength, scalar) == NULL) goto done;
        if (pt == NULL) {
            if (!EC_POINT_mul(group, term, scalar, NULL, NULL, context)) goto done;
        } else {
            /* oct2point checks that the point lies on the curve. */
            if (!EC_POINT_oct2point(group, point, pt, ptLength, context)) goto done;
            /* 1·Q is Q: PACE's generic mapping adds the shared point H this way (G' = s·G + H), and the constant-time
               ladder would spend a whole multiplication on it. The scalar 1 is public; secret scalars are never 1. */
            if (BN_is_one(scalar)) {
                if (!EC_POINT_copy(term, point)) goto done;
            } else if (!EC_POINT_mul(group, term, NULL, point, scalar, context)) {
                goto done;
            }
        }
        if (!EC_POINT_add(group, result, result, term, context)) goto done;
    }
    if (EC_POINT_is_at_infinity(group, result)) goto done;
    size_t written = EC_POINT_point2oct(group, result, POINT_CONVERSION_UNCOMPRESSED, out, capacity, context);
    if (written > 0) length = (int)written;
done:
    BN_free(scalar);
    EC_POINT_free(point);
    EC_POINT_free(term);
    EC_POINT_free(result);
    BN_CTX_free(context);
    EC_GROUP_free(owned);
    return length;
}

int epki_ec_group_order(const char *groupName, uint8_t *out, size_t capacity) {
    EC_GROUP *owned;
    const EC_GROUP *group = group_shared(groupName, &owned);
    if (group == NULL) return -1;
    const BIGNUM *order = EC_GROUP_get0_order(group);
    int length = -1;
    if (order != NULL && (size_t)BN_num_bytes(order) <= capacity) length = BN_bn2bin(order, out);
    EC_GROUP_free(owned);
    return length;
}

int epki_ec_group_curve(const char *groupName, uint8_t *p, uint8_t *a, uint8_t *b, size_t length) {
    EC_GROUP *owned;
    const EC_GROUP *group = group_shared(groupName, &owned);
    if (group == NULL) return -1;
    BN_CTX *context = BN_CTX_new();
    BIGNUM *prime = BN_new(), *coefficientA = BN_new(), *coefficientB = BN_new();
    int result = -1;
    /* BN_bn2binpad fails when a number needs more than length bytes, so a short buffer is refused, not overrun. */
    if (context != NULL && prime != NULL && coefficientA != NULL && coefficientB != NULL && length <= INT_MAX &&
        EC_GROUP_get_curve(group, prime, coefficientA, coefficientB, context) &&
        BN_bn2binpad(prime, p, (int)length) == (int)length && BN_bn2binpad(coefficientA, a, (int)length) == (int)length &&
        BN_bn2binpad(coefficientB, b, (int)length) == (int)length) {
        result = (int)length;
    }
    BN_free(coefficientB);
    BN_free(coefficientA);
    BN_free(prime);
    BN_CTX_free(context);
    EC_GROUP_free(owned);
    return result;
}

int epki_mod_arithmetic(epki_mod_operation operation, const uint8_t *a, size_t aLength, const uint8_t *b, size_t bLength,
                        const uint8_t *m, size_t mLength, uint8_t *out, size_t capacity) {
    if (aLength > INT_MAX || bLength > INT_MAX || mLength > INT_MAX) return -1;
    BN_CTX *context = BN_CTX_new();
    BIGNUM *x = BN_bin2bn(a, (int)aLength, NULL), *y = BN_bin2bn(b, (int)bLength, NULL);
    BIGNUM *modulus = BN_bin2bn(m, (int)mLength, NULL), *r = BN_new();
    int ok = 0, length = -1;
    if (context == NULL || x == NULL || y == NULL || modulus == NULL || r == NULL || BN_is_zero(modulus)) goto done;
    switch (operation) {
    case EPKI_MOD_ADD: ok = BN_mod_add(r, x, y, modulus, context); break;
    case EPKI_MOD_SUBTRACT: ok = BN_mod_sub(r, x, y, modulus, context); break;
    case EPKI_MOD_MULTIPLY: ok = BN_mod_mul(r, x, y, modulus, context); break;
    /* The point encoding raises values derived from the secret nonce s: OpenSSL's constant-time exponentiation
       (Montgomery, so an odd modulus) and inversion rather than the variable-time ones. */
    case EPKI_MOD_POWER:
        ok = BN_is_odd(modulus) && BN_nnmod(x, x, modulus, context) &&
             BN_mod_exp_mont_consttime(r, x, y, modulus, context, NULL);
        break;
    case EPKI_MOD_INVERSE:
        BN_set_flags(x, BN_FLG_CONSTTIME);
        ok = BN_mod_inverse(r, x, modulus, context) != NULL;
        break;
    case EPKI_MOD_REDUCE: ok = BN_nnmod(r, x, modulus, context); break;
    }
    if (ok) {
        int size = BN_num_bytes(modulus);
        if ((size_t)size <= capacity && BN_bn2binpad(r, out, size) == size) length = size;
    }
done:
    /* A missing inverse leaves an error on OpenSSL's queue; the caller reports its own. */
    if (length < 0) ERR_clear_error();
    BN_free(r);
    BN_free(modulus);
    BN_free(y);
    BN_free(x);
    BN_CTX_free(context);
    return length;
}

int epki_ec_scalar_divide(const char *groupName, const uint8_t *numerator, size_t numeratorLength, const uint8_t *denominator,
                          size_t denominatorLength, uint8_t *out, size_t capacity) {
    EC_GROUP *owned;
    const EC_GROUP *group = group_shared(groupName, &owned);
    if (group == NULL) return -1;
    BN_CTX *context = BN_CTX_new();
    BIGNUM *b = BN_bin2bn(numerator, (int)numeratorLength, NULL), *a = BN_bin2bn(denominator, (int)denominatorLength, NULL);
    BIGNUM *inverse = BN_new(), *result = BN_new();
    const BIGNUM *order = EC_GROUP_get0_order(group);
    int length = -1;
    if (context != NULL && a != NULL && b != NULL && inverse != NULL && result != NULL && order != NULL &&
        BN_mod_inverse(inverse, a, order, context) != NULL && BN_mod_mul(result, b, inverse, order, context)) {
        int size = BN_num_bytes(order);
        if ((size_t)size <= capacity && BN_bn2binpad(result, out, size) == size) length = size;
    }
    BN_free(result);
    BN_free(inverse);
    BN_free(a);
    BN_free(b);
    BN_CTX_free(context);
    EC_GROUP_free(owned);
    return length;
}

/* Raw RSA (no padding), for ISO/IEC 9796-2 signatures of Active Authentication: the private operation on a
   representative, the public one to recover it. *outLength holds the capacity on entry. 1 on success. */
int epki_rsa_raw(EVP_PKEY *key, int usePrivate, const uint8_t *in, size_t inLength, uint8_t *out, size_t *outLength) {
    EVP_PKEY_CTX *context = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
    if (context == NULL) return 0;
    int ok = usePrivate
        ? EVP_PKEY_sign_init(context) > 0 && EVP_PKEY_CTX_set_rsa_padding(context, RSA_NO_PADDING) > 0 &&
          EVP_PKEY_sign(context, out, outLength, in, inLength) > 0
        : EVP_PKEY_verify_recover_init(context) > 0 && EVP_PKEY_CTX_set_rsa_padding(context, RSA_NO_PADDING) > 0 &&
          EVP_PKEY_verify_recover(context, out, outLength, in, inLength) > 0;
    EVP_PKEY_CTX_free(context);
    return ok ? 1 : 0;
}

int epki_dh_group(const char *name, uint8_t *p, uint8_t *g, uint8_t *q, size_t capacity, size_t *length) {
    int ok = 0;
    EVP_PKEY *key = NULL;
    BIGNUM *bp = NULL, *bg = NULL, *bq = NULL;
    EVP_PKEY_CTX *context = EVP_PKEY_CTX_new_from_name(NULL, "DHX", NULL);
    OSSL_PARAM parameters[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)name, 0),
        OSSL_PARAM_construct_end(),
    };
    if (context == NULL || EVP_PKEY_paramgen_init(context) <= 0 || !EVP_PKEY_CTX_set_params(context, parameters) ||
        EVP_PKEY_paramgen(context, &key) <= 0) goto done;
    if (!EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_FFC_P, &bp) || !EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_FFC_G, &bg) ||
        !EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_FFC_Q, &bq)) goto done;
    size_t size = (size_t)BN_num_bytes(bp);
    if (size > capacity) goto done;
    if (BN_bn2binpad(bp, p, (int)size) < 0 || BN_bn2binpad(bg, g, (int)size) < 0 || BN_bn2binpad(bq, q, (int)size) < 0) goto done;
    *length = size;
    ok = 1;
done:
    BN_free(bp);
    BN_free(bg);
    BN_free(bq);
    EVP_PKEY_free(key);
    EVP_PKEY_CTX_free(context);
    return ok;
}
