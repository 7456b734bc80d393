/*
 * The ciphers and MACs of chip secure messaging (ICAO Doc 9303-11 §9.8) with the session keys set up once.
 *
 * Single DES, which the retail MAC needs, is only in OpenSSL 3's legacy provider, so the DES side uses OpenSSL's
 * low-level DES functions (deprecated in 3.0, still exported by libcrypto): key schedules made once, then plain
 * function calls. AES goes through EVP (AES-NI) with contexts keyed once; only the IV changes per call.
 *
 * CMAC (NIST SP 800-38B) is computed here from AES-CBC rather than through EVP_MAC: OpenSSL 3.0's CMAC calls the
 * cipher once per 16-byte block (openssl/openssl#21102), twice the time of one CBC pass over a 4 KB APDU. Secure
 * messaging only MACs padded input (whole blocks), so the MAC is the CBC chain over the blocks with the last one
 * XORed with the subkey K1, which is derived once per session.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "COpenSSLShims.h"
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/des.h>

struct epki_sm_keys {
    int aes;
    /* 3DES: K1 and K2 of the encryption key (CBC as K1 K2 K1) and of the MAC key (retail MAC). */
    DES_key_schedule encryption1, encryption2, mac1, mac2;
    /* AES: CBC contexts keyed once, one per direction (the decryption key schedule differs from the encryption
       one), and a CBC encryption context under the MAC key with CMAC's subkey K1. */
    EVP_CIPHER_CTX *encrypt, *decrypt, *mac;
    uint8_t subkey1[16];
};

/* ISO/IEC 9797-1 MAC algorithm 3 over whole 8-byte blocks: single-DES CBC-MAC with K1 over every block, then the
   result decrypted with K2 and encrypted with K1 (two DES operations, not a 3DES per block). */
static void retail_mac(DES_key_schedule *k1, DES_key_schedule *k2, const uint8_t *in, size_t length, uint8_t *out) {
    DES_cblock zero = {0}, chained;
    DES_cbc_cksum(in, &chained, (long)length, k1, &zero);
    DES_ecb_encrypt(&chained, &chained, k2, DES_DECRYPT);
    DES_ecb_encrypt(&chained, &chained, k1, DES_ENCRYPT);
    memcpy(out, chained, 8);
}

int epki_retail_mac(const uint8_t *key, const uint8_t *in, size_t length, uint8_t *out) {
    if (length == 0 || length % 8 != 0 || length > LONG_MAX) return 0;
    DES_key_schedule k1, k2;
    DES_set_key_unchecked((const_DES_cblock *)key, &k1);
    DES_set_key_unchecked((const_DES_cblock *)(key + 8), &k2);
    retail_mac(&k1, &k2, in, length, out);
    OPENSSL_cleanse(&k1, sizeof k1);
    OPENSSL_cleanse(&k2, sizeof k2);
    return 1;
}

static const char *aes_cbc_name(size_t keyLength) {
    switch (keyLength) {
    case 16: return "AES-128-CBC";
    case 24: return "AES-192-CBC";
    case 32: return "AES-256-CBC";
    default: return NULL;
    }
}

static EVP_CIPHER_CTX *keyed_cbc(EVP_CIPHER *cipher, const uint8_t *key, int encrypt) {
    static const uint8_t zero[16] = {0};
    EVP_CIPHER_CTX *context = EVP_CIPHER_CTX_new();
    if (context != NULL && EVP_CipherInit_ex2(context, cipher, key, zero, encrypt, NULL) &&
        EVP_CIPHER_CTX_set_padding(context, 0)) {
        return context;
    }
    EVP_CIPHER_CTX_free(context);
    return NULL;
}

/* SP 800-38B §6.1: L = CIPH_K(0^128); K1 = L << 1, XORed with R_128 = 0x87 when L's top bit is set. */
static int cmac_subkey(EVP_CIPHER_CTX *mac, uint8_t subkey1[16]) {
    static const uint8_t zero[16] = {0};
    uint8_t l[16];
    int written = 0;
    if (!EVP_CipherInit_ex2(mac, NULL, NULL, zero, -1, NULL) || !EVP_CipherUpdate(mac, l, &written, zero, 16) || written != 16) {
        return 0;
    }
    for (int i = 0; i < 15; i++) subkey1[i] = (uint8_t)(l[i] << 1 | l[i + 1] >> 7);
    subkey1[15] = (uint8_t)(l[15] << 1) ^ (l[0] & 0x80 ? 0x87 : 0);
    OPENSSL_cleanse(l, sizeof l);
    return 1;
}

epki_sm_keys *epki_sm_keys_new(int aes, const uint8_t *encryptionKey, const uint8_t *macKey, size_t keyLength) {
    epki_sm_keys *keys = OPENSSL_zalloc(sizeof *keys);
    if (keys == NULL) return NULL;
    keys->aes = aes;
    if (!aes) {
        if (keyLength != 16) goto fail;
        DES_set_key_unchecked((const_DES_cblock *)encryptionKey, &keys->encryption1);
        DES_set_key_unchecked((const_DES_cblock *)(encryptionKey + 8), &keys->encryption2);
        DES_set_key_unchecked((const_DES_cblock *)macKey, &keys->mac1);
        DES_set_key_unchecked((const_DES_cblock *)(macKey + 8), &keys->mac2);
        return keys;
    }
    const char *name = aes_cbc_name(keyLength);
    if (name == NULL) goto fail;
    EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, name, NULL);
    if (cipher == NULL) goto fail;
    keys->encrypt = keyed_cbc(cipher, encryptionKey, 1);
    keys->decrypt = keyed_cbc(cipher, encryptionKey, 0);
    keys->mac = keyed_cbc(cipher, macKey, 1);
    EVP_CIPHER_free(cipher);
    if (keys->encrypt == NULL || keys->decrypt == NULL || keys->mac == NULL || !cmac_subkey(keys->mac, keys->subkey1)) {
        goto fail;
    }
    return keys;
fail:
    epki_sm_keys_free(keys);
    return NULL;
}

void epki_sm_keys_free(epki_sm_keys *keys) {
    if (keys == NULL) return;
    EVP_CIPHER_CTX_free(keys->encrypt);
    EVP_CIPHER_CTX_free(keys->decrypt);
    EVP_CIPHER_CTX_free(keys->mac);
    OPENSSL_clear_free(keys, sizeof *keys);
}

int epki_sm_cbc(epki_sm_keys *keys, int encrypt, const uint8_t *iv, const uint8_t *in, size_t length, uint8_t *out) {
    static const uint8_t zero[16] = {0};
    size_t blockSize = keys->aes ? 16 : 8;
    if (length % blockSize != 0 || length > INT_MAX) return 0;
    if (length == 0) return 1;
    if (iv == NULL) iv = zero;
    if (!keys->aes) {
        DES_cblock vector;
        memcpy(vector, iv, 8);
        DES_ede3_cbc_encrypt(in, out, (long)length, &keys->encryption1, &keys->encryption2, &keys->encryption1, &vector,
                             encrypt ? DES_ENCRYPT : DES_DECRYPT);
        return 1;
    }
    /* A new IV on the keyed context: the key schedule stays (key NULL), and so does the direction (-1). */
    EVP_CIPHER_CTX *context = encrypt ? keys->encrypt : keys->decrypt;
    int written = 0, final = 0;
    return EVP_CipherInit_ex2(context, NULL, NULL, iv, -1, NULL) &&
           EVP_CipherUpdate(context, out, &written, in, (int)length) &&
           EVP_CipherFinal_ex(context, out + written, &final) && (size_t)(written + final) == length;
}

int epki_sm_mac(epki_sm_keys *keys, const uint8_t *in, size_t length, uint8_t *out) {
    size_t blockSize = keys->aes ? 16 : 8;
    if (length == 0 || length % blockSize != 0 || length > LONG_MAX) return 0;
    if (!keys->aes) {
        retail_mac(&keys->mac1, &keys->mac2, in, length, out);
        return 1;
    }
    /* CBC with IV 0 over every block but the last, the last XORed with K1: its cipher block is the CMAC. The chain
       goes through a small buffer, as only the final block is wanted. */
    static const uint8_t zero[16] = {0};
    uint8_t chained[512], last[16];
    EVP_CIPHER_CTX *context = keys->mac;
    if (!EVP_CipherInit_ex2(context, NULL, NULL, zero, -1, NULL)) return 0;
    size_t body = length - 16;
    for (size_t done = 0; done < body;) {
        size_t part = body - done < sizeof chained ? body - done : sizeof chained;
        int written = 0;
        if (!EVP_CipherUpdate(context, chained, &written, in + done, (int)part) || (size_t)written != part) return 0;
        done += part;
    }
    for (int i = 0; i < 16; i++) last[i] = in[body + i] ^ keys->subkey1[i];
    int written = 0;
    if (!EVP_CipherUpdate(context, chained, &written, last, 16) || written != 16) return 0;
    memcpy(out, chained, 8);
    return 1;
}
