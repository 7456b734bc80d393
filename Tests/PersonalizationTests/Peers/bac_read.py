#!/usr/bin/python3
"""Reads an eMRTD's LDS files through PC/SC with Basic Access Control, using pyscard and PyCryptodome only.

This reader shares no code with epki: it derives the BAC keys from the MRZ itself (Doc 9303-11 §4.3 and
Appendix D), runs the mutual authentication, and wraps every READ BINARY in 3DES secure messaging (§9.8).
It is the independent client of the personalization tests.

usage: bac_read.py READER DOCUMENT_NUMBER DATE_OF_BIRTH DATE_OF_EXPIRY FID...   (FIDs in hex, e.g. 011E 0101)
prints a JSON object {FID: hex of the file}.
"""
import hashlib
import json
import os
import sys

from Cryptodome.Cipher import DES, DES3
from smartcard.System import readers


def check_digit(text):
    weights = (7, 3, 1)
    total = 0
    for index, char in enumerate(text):
        if char.isdigit():
            value = int(char)
        elif "A" <= char <= "Z":
            value = ord(char) - 55
        else:
            value = 0
        total += value * weights[index % 3]
    return str(total % 10)


def derive(seed, counter):
    digest = hashlib.sha1(seed + counter.to_bytes(4, "big")).digest()[:16]
    return digest  # DES ignores the parity bits


def pad(data):
    data = data + b"\x80"
    while len(data) % 8:
        data += b"\x00"
    return data


def retail_mac(key, data):
    """ISO/IEC 9797-1 MAC algorithm 3 with DES: single-DES CBC with K1, then decrypt K2, encrypt K1."""
    k1, k2 = key[:8], key[8:16]
    state = bytes(8)
    for offset in range(0, len(data), 8):
        block = bytes(a ^ b for a, b in zip(state, data[offset:offset + 8]))
        state = DES.new(k1, DES.MODE_ECB).encrypt(block)
    state = DES.new(k2, DES.MODE_ECB).decrypt(state)
    return DES.new(k1, DES.MODE_ECB).encrypt(state)


def tdes(key, data, decrypt=False):
    cipher = DES3.new(key + key[:8], DES3.MODE_CBC, iv=bytes(8))
    return cipher.decrypt(data) if decrypt else cipher.encrypt(data)


class Card:
    def __init__(self, name):
        matches = [r for r in readers() if str(r) == name]
        if not matches:
            raise SystemExit("no reader named %r among %s" % (name, [str(r) for r in readers()]))
        self.connection = matches[0].createConnection()
        self.connection.connect()

    def send(self, apdu):
        data, sw1, sw2 = self.connection.transmit(list(apdu))
        return bytes(data), (sw1 << 8) | sw2


class SessionLost(RuntimeError):
    """The chip answered a protected command in plain: its session is gone (a reset by the reader, under load)."""


class Session:
    def __init__(self, card, ks_enc, ks_mac, ssc):
        self.card, self.ks_enc, self.ks_mac, self.ssc = card, ks_enc, ks_mac, ssc

    def transmit(self, cla, ins, p1, p2, data=b"", le=None):
        self.ssc += 1
        header = bytes([cla | 0x0C, ins, p1, p2])
        objects = b""
        if data:
            encrypted = tdes(self.ks_enc, pad(data))
            objects += b"\x87" + bytes([len(encrypted) + 1, 0x01]) + encrypted
        if le is not None:
            objects += b"\x97\x01" + bytes([le & 0xFF])
        mac = retail_mac(self.ks_mac, self.ssc.to_bytes(8, "big") + pad(header) + (pad(objects) if objects else b""))
        objects += b"\x8e\x08" + mac
        response, sw = self.card.send(header + bytes([len(objects)]) + objects + b"\x00")
        if sw in (0x6882, 0x6987, 0x6988):
            raise SessionLost("%02X%02X%02X%02X answered %04X" % (cla, ins, p1, p2, sw))
        if sw != 0x9000:
            raise RuntimeError("%02X%02X%02X%02X answered %04X" % (cla, ins, p1, p2, sw))
        self.ssc += 1
        fields, index, covered = {}, 0, b""
        while index < len(response):
            tag, length = response[index], response[index + 1]
            start = index + 2
            if length == 0x81:
                length, start = response[index + 2], index + 3
            elif length == 0x82:
                length, start = int.from_bytes(response[index + 2:index + 4], "big"), index + 4
            fields[tag] = response[start:start + length]
            if tag != 0x8E:
                covered += response[index:start + length]
            index = start + length
        expected = retail_mac(self.ks_mac, self.ssc.to_bytes(8, "big") + pad(covered))
        if fields.get(0x8E) != expected:
            raise RuntimeError("the response MAC does not verify")
        if fields.get(0x99) != b"\x90\x00":
            raise RuntimeError("protected status %s" % fields.get(0x99, b"").hex())
        if 0x87 in fields:
            plain = tdes(self.ks_enc, fields[0x87][1:], decrypt=True)
            return plain[:plain.rindex(b"\x80")]
        return b""

    def read_file(self, fid):
        self.transmit(0x00, 0xA4, 0x02, 0x0C, bytes.fromhex(fid))
        head = self.transmit(0x00, 0xB0, 0x00, 0x00, le=4)
        if head[1] < 0x80:
            total = 2 + head[1]
        else:
            count = head[1] & 0x7F
            total = 2 + count + int.from_bytes(head[2:2 + count], "big")
        content = head
        while len(content) < total:
            offset = len(content)
            content += self.transmit(0x00, 0xB0, offset >> 8, offset & 0xFF, le=min(0xDF, total - offset))
        return content


def authenticate(card, number, birth, expiry):
    """BAC: the session keys and counter from the MRZ's document number, birth and expiry dates."""
    _, sw = card.send(bytes.fromhex("00A4040C07A0000002471001"))
    if sw != 0x9000:
        raise SystemExit("SELECT LDS1 answered %04X" % sw)
    number_field = number + "<" * max(0, 9 - len(number))
    info = number_field + check_digit(number_field) + birth + check_digit(birth) + expiry + check_digit(expiry)
    seed = hashlib.sha1(info.encode()).digest()[:16]
    k_enc, k_mac = derive(seed, 1), derive(seed, 2)
    rnd_ic, sw = card.send(bytes.fromhex("0084000008"))
    rnd_ifd, k_ifd = os.urandom(8), os.urandom(16)
    encrypted = tdes(k_enc, rnd_ifd + rnd_ic + k_ifd)
    answer, sw = card.send(bytes.fromhex("0082000028") + encrypted + retail_mac(k_mac, pad(encrypted)) + b"\x28")
    if sw != 0x9000 or retail_mac(k_mac, pad(answer[:32])) != answer[32:40]:
        raise SystemExit("BAC mutual authentication failed (%04X)" % sw)
    plain = tdes(k_enc, answer[:32], decrypt=True)
    if plain[:8] != rnd_ic or plain[8:16] != rnd_ifd:
        raise SystemExit("BAC: the chip's answer does not carry our challenge")
    session_seed = bytes(a ^ b for a, b in zip(k_ifd, plain[16:32]))
    return Session(card, derive(session_seed, 1), derive(session_seed, 2), int.from_bytes(rnd_ic[4:8] + rnd_ifd[4:8], "big"))


def main():
    reader, number, birth, expiry = sys.argv[1:5]
    card = Card(reader)
    session = authenticate(card, number, birth, expiry)
    files = {}
    for fid in sys.argv[5:]:
        # A file is read again whole after the session was lost (at most three times), as an inspection would.
        for attempt in range(3):
            try:
                files[fid.upper()] = session.read_file(fid).hex()
                break
            except SessionLost:
                if attempt == 2:
                    raise
                session = authenticate(card, number, birth, expiry)
    print(json.dumps(files))


if __name__ == "__main__":
    main()
