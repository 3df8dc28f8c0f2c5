/*
 * Benchmark harness for the asn1c peer (benchmarks/peers/asn1c_peer.py).
 *
 * Linked with the C code asn1c generates from the project's own ASN.1 (in benchmarks/.build/, never committed).
 * Reads frames as hex lines from a file and prints one JSON object on stdout.
 *
 *   asn1c-peer MODE SECONDS FRAMES_FILE
 *
 * MODE:
 *   once      decode every frame once: ok (RC_OK and every byte consumed), rval code, bits consumed, whether the
 *             decoded value satisfies asn1c's constraint check, whether the padding bits after the last bit read
 *             are zero, and whether re-encoding gives the same bytes
 *   decode    per frame, uper_decode of MessageFrame in a loop for about SECONDS (best of 3 rounds), freeing the
 *             structure every time (also when decoding failed: a partial structure is freed too)
 *   validate  as decode, plus asn_check_constraints on every decoded value
 *   encode    per frame that decodes, uper_encode_to_buffer of the decoded structure in a loop
 */

#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "MessageFrame.h"
#include "constraints.h"
#include "per_decoder.h"
#include "per_encoder.h"

#define MAX_FRAME 65536
#define BATCH 16

typedef struct {
    uint8_t *bytes;
    size_t size;
} frame_t;

static volatile size_t sink; /* keeps the loops from being optimised away */

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int hex_value(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Read one frame per non-empty line (hex digits; anything else ends the line's frame). */
static frame_t *read_frames(const char *path, size_t *count) {
    FILE *file = fopen(path, "r");
    if (!file) {
        fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
        exit(2);
    }
    size_t capacity = 16, n = 0;
    frame_t *frames = calloc(capacity, sizeof *frames);
    char *line = NULL;
    size_t line_cap = 0;
    ssize_t length;
    while ((length = getline(&line, &line_cap, file)) >= 0) {
        while (length > 0 && (line[length - 1] == '\n' || line[length - 1] == '\r')) line[--length] = '\0';
        if (n == capacity) {
            capacity *= 2;
            frames = realloc(frames, capacity * sizeof *frames);
        }
        frame_t *frame = &frames[n];
        frame->bytes = malloc((size_t)length / 2 + 1);
        frame->size = 0;
        for (ssize_t i = 0; i + 1 < length; i += 2) {
            int hi = hex_value(line[i]), lo = hex_value(line[i + 1]);
            if (hi < 0 || lo < 0) break;
            frame->bytes[frame->size++] = (uint8_t)(hi << 4 | lo);
        }
        if (length == 0) continue; /* blank line: no frame */
        n++;
    }
    free(line);
    fclose(file);
    *count = n;
    return frames;
}

/* Decode once; *ok when RC_OK and the whole buffer was consumed (a complete encoding, X.691 10.1). */
static asn_dec_rval_t decode_once(const frame_t *frame, MessageFrame_t **value, int *ok) {
    *value = NULL;
    asn_dec_rval_t rval = uper_decode(NULL, &asn_DEF_MessageFrame, (void **)value, frame->bytes, frame->size, 0, 0);
    size_t consumed_bytes = (rval.consumed + 7) / 8;
    *ok = rval.code == RC_OK && consumed_bytes == frame->size && (rval.consumed > 0 || frame->size == 1);
    return rval;
}

static void free_value(MessageFrame_t *value) {
    if (value) ASN_STRUCT_FREE(asn_DEF_MessageFrame, value);
}

/* Best of 3 rounds of about seconds/3 each: operations per second. kind 0 decode, 1 validate, 2 encode. */
static double measure(const frame_t *frame, int kind, MessageFrame_t *decoded, double seconds, long *iterations) {
    static uint8_t out[MAX_FRAME];
    double best = 0.0;
    long total = 0;
    for (int round = 0; round < 3; round++) {
        long count = 0;
        double start = now_s(), deadline = start + seconds / 3.0, t;
        do {
            for (int i = 0; i < BATCH; i++) {
                if (kind == 2) {
                    asn_enc_rval_t er = uper_encode_to_buffer(&asn_DEF_MessageFrame, decoded, out, sizeof out);
                    sink += (size_t)er.encoded;
                } else {
                    MessageFrame_t *value = NULL;
                    asn_dec_rval_t rval = uper_decode(NULL, &asn_DEF_MessageFrame, (void **)&value, frame->bytes,
                                                      frame->size, 0, 0);
                    sink += rval.consumed;
                    if (kind == 1 && rval.code == RC_OK) {
                        char errbuf[128];
                        size_t errlen = sizeof errbuf;
                        sink += (size_t)asn_check_constraints(&asn_DEF_MessageFrame, value, errbuf, &errlen);
                    }
                    free_value(value);
                }
            }
            count += BATCH;
            t = now_s();
        } while (t < deadline);
        total += count;
        double r = (double)count / (t - start);
        if (r > best) best = r;
    }
    *iterations = total;
    return best;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s once|decode|validate|encode SECONDS FRAMES_FILE\n", argv[0]);
        return 2;
    }
    const char *mode = argv[1];
    double seconds = atof(argv[2]);
    int kind;
    if (strcmp(mode, "once") == 0) kind = -1;
    else if (strcmp(mode, "decode") == 0) kind = 0;
    else if (strcmp(mode, "validate") == 0) kind = 1;
    else if (strcmp(mode, "encode") == 0) kind = 2;
    else {
        fprintf(stderr, "unknown mode %s\n", mode);
        return 2;
    }
    size_t count;
    frame_t *frames = read_frames(argv[3], &count);
    static uint8_t out[MAX_FRAME];

    printf("{\"mode\": \"%s\", \"seconds\": %g, \"frames\": [", mode, seconds);
    for (size_t i = 0; i < count; i++) {
        const frame_t *frame = &frames[i];
        MessageFrame_t *value;
        int ok;
        asn_dec_rval_t rval = decode_once(frame, &value, &ok);
        printf("%s\n  {\"index\": %zu, \"bytes\": %zu, \"ok\": %s, \"code\": %d, \"consumed_bits\": %zu", i ? "," : "",
               i, frame->size, ok ? "true" : "false", (int)rval.code, rval.consumed);
        if (kind == -1) {
            int constraints_ok = 0, identical = 0;
            long encoded_bits = -1;
            if (ok) {
                char errbuf[256] = "";
                size_t errlen = sizeof errbuf;
                constraints_ok = asn_check_constraints(&asn_DEF_MessageFrame, value, errbuf, &errlen) == 0;
                asn_enc_rval_t er = uper_encode_to_buffer(&asn_DEF_MessageFrame, value, out, sizeof out);
                encoded_bits = (long)er.encoded;
                identical = er.encoded >= 0 && (size_t)(er.encoded + 7) / 8 == frame->size &&
                            memcmp(out, frame->bytes, frame->size) == 0;
            }
            /* X.691 11.1: the padding bits of a complete encoding are zero. */
            int padding_zero = 1;
            if (ok && rval.consumed % 8)
                padding_zero = (frame->bytes[frame->size - 1] & (0xFFu >> (rval.consumed % 8))) == 0;
            printf(", \"constraints_ok\": %s, \"padding_zero\": %s, \"reencoded_bits\": %ld, "
                   "\"reencode_identical\": %s",
                   ok ? (constraints_ok ? "true" : "false") : "null", ok ? (padding_zero ? "true" : "false") : "null",
                   encoded_bits, ok ? (identical ? "true" : "false") : "null");
        } else if (kind == 2 && !ok) {
            printf(", \"per_s\": null, \"iterations\": 0");
        } else {
            if (kind == 2) {
                asn_enc_rval_t er = uper_encode_to_buffer(&asn_DEF_MessageFrame, value, out, sizeof out);
                if (er.encoded < 0) {
                    printf(", \"per_s\": null, \"iterations\": 0, \"encode_failed\": true}");
                    free_value(value);
                    continue;
                }
            }
            long iterations;
            double rate = measure(frame, kind, value, seconds, &iterations);
            printf(", \"per_s\": %.1f, \"iterations\": %ld", rate, iterations);
        }
        printf("}");
        free_value(value);
    }
    printf("\n]}\n");
    for (size_t i = 0; i < count; i++) free(frames[i].bytes);
    free(frames);
    return 0;
}
