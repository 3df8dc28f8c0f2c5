/*
 * The native UPER engine of v2x-conformance: an interpreter of the node table that
 * conformance/codec/native/program.py compiles from an edition's parsed ASN.1.
 *
 * There is no per-edition code here. Every rule below is ITU-T X.691 (unaligned PER), cited by clause where a
 * choice was made; "asn1tools" notes say where this engine deliberately keeps the Python path's verdict.
 *
 * Decoding checks structure as it goes (and stops at the first structural fault, naming the bit where it was
 * found and the field path), records the first constraint violation and the first open-type fault without
 * stopping (the Python path reports them in this order: structure, trailing bytes, constraints, open types,
 * padding), and builds Python values only when asked to.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define NW 16 /* words per node */
#define EW 4  /* words per edge */
#define MAXD 128

enum { K_SEQ = 1, K_SEQOF, K_CHOICE, K_INT, K_ENUM, K_BOOL, K_NULL, K_BITS, K_OCTETS, K_KMSTR, K_UTF8 };
enum { F_EXT = 1, F_BOUNDED = 2, F_CHECK_LO = 4, F_CHECK_HI = 8, F_NAMED = 16, F_ALPHA_CHECK = 32, F_SEMI = 64 };
enum { W_KIND, W_FLAGS, W_LB, W_UB, W_NBITS, W_A, W_ACOUNT, W_B, W_BCOUNT, W_NOPT, W_CMIN, W_CMAX, W_OPEN, W_AUX };

/* verdict codes (keep in step with conformance/codec/native/__init__.py) */
enum {
    E_OK = 0,
    E_TRUNCATED = 1,     /* ran out of bits */
    E_CHOICE_INDEX = 2,  /* CHOICE root index beyond the alternatives */
    E_ENUM_INDEX = 3,    /* ENUMERATED root index beyond the values */
    E_UNKNOWN_ALT = 4,   /* CHOICE extension alternative not defined in this edition */
    E_OPEN_LENGTH = 5,   /* open-type length longer than its value by a whole octet or more */
    E_OPEN_PADDING = 6,  /* non-zero padding inside an open type */
    E_ALPHABET = 7,      /* character index beyond the PER-visible alphabet */
    E_UTF8 = 8,          /* UTF8String bytes are not UTF-8 */
    E_LENGTH_DET = 9,    /* a length determinant octet X.691 does not define */
    E_INT_LENGTH = 10,   /* unconstrained INTEGER with zero length */
    E_DEPTH = 11,        /* nesting deeper than MAXD */
    E_LIMIT = 12,        /* more zero-width elements than any frame can mean */
    E_UNSUPPORTED = 13,  /* not produced any more (fragmented open types are decoded); the number stays */
    E_UNKNOWN_VALUE = 14, /* ENUMERATED extension value not defined in this edition */
    E_CONSTRAINT = 20,   /* value or size outside the constraint (d1 = the value or size) */
    E_ALPHA_CONSTRAINT = 21, /* character outside the permitted alphabet (d1 = character code) */
    E_OPEN_KEY = 30,     /* open type key selects no type (d1 = key) */
    E_EMPTY = 40,        /* no bytes at all */
    E_TRAILING = 41,     /* bytes after the end of the value (d1 = count) */
    E_PADDING = 42,      /* non-zero padding bit after the value */
    E_TYPE = 50,         /* encode: the value does not have the shape of the type */
    E_RANGE = 51,        /* encode: the value is outside what the type can encode */
};

/* ------------------------------------------------------------------------------------------------ program */

typedef struct {
    PyObject_HEAD
    int64_t *nodes;
    Py_ssize_t nnodes;
    int64_t *edges;
    Py_ssize_t nedges;
    int64_t *alpha;
    Py_ssize_t nalpha;
    int64_t *bind;
    Py_ssize_t nbind;
    PyObject *strings;    /* tuple of str */
    PyObject *defaults;   /* tuple */
    PyObject *open_value; /* callable (type_name, value, raw) -> OpenValue */
    PyObject *open_class; /* class of open values (encode) */
} ProgramObject;

#define NODE(p, i) ((p)->nodes + (i) * NW)
#define EDGE(p, i) ((p)->edges + (i) * EW)

/* ------------------------------------------------------------------------------------------------ errors */

typedef struct {
    int code;
    int64_t bit;
    int depth;
    int64_t path[MAXD]; /* >= 0: string index of a member name; < 0: -(list index + 1) */
    int64_t d1, d2;
    int64_t inner_type; /* string index of an open type's inner type, or -1 */
    int64_t d3;         /* the node (constraint, index faults) or member name (open-type faults) concerned */
    int64_t inner_len;  /* octets of the open type whose inner value failed */
} err_t;

typedef struct {
    ProgramObject *p;
    const uint8_t *buf;
    int64_t nbytes;
    int64_t pos, end;
    int build;
    int depth;
    int64_t path[MAXD];
    err_t err;  /* structural: stops decoding */
    int failed;
    int pyerr;  /* a Python exception is set */
    err_t cerr; /* first constraint violation */
    int has_c;
    err_t oerr; /* first open-type fault */
    int has_o;
    int64_t last_int; /* value of the last INTEGER decoded (open-type keys) */
    int last_int_ok;
    int64_t items; /* elements decoded (bounds zero-width element loops) */
    int64_t next_edge;        /* the edge the next dec() decodes (-1: a list element or a root) */
    const uint8_t *capture;   /* extraction: capture[edge] != 0 selects the values reached through that edge */
    PyObject *captures;       /* extraction: list of (path, value) */
} ctx_t;

static void capture(ctx_t *c, err_t *e, int code, int64_t bit, int64_t d1, int64_t d2) {
    e->code = code;
    e->bit = bit;
    e->depth = c->depth;
    memcpy(e->path, c->path, sizeof(int64_t) * (size_t)c->depth);
    e->d1 = d1;
    e->d2 = d2;
    e->inner_type = -1;
    e->d3 = -1;
    e->inner_len = 0;
}

static int fail(ctx_t *c, int code, int64_t bit, int64_t d1, int64_t d2) {
    if (!c->failed) {
        capture(c, &c->err, code, bit, d1, d2);
        c->failed = 1;
    }
    return -1;
}

static int trunc_at(ctx_t *c) { return fail(c, E_TRUNCATED, c->pos, 0, 0); }

static int fail3(ctx_t *c, int code, int64_t bit, int64_t d1, int64_t d2, int64_t d3) {
    int first = !c->failed;
    fail(c, code, bit, d1, d2);
    if (first) c->err.d3 = d3;
    return -1;
}

#define NODE_INDEX(c, nd) (((nd) - (c)->p->nodes) / NW)

static void violate(ctx_t *c, int code, int64_t bit, int64_t d1, int64_t *nd) {
    if (!c->has_c) {
        capture(c, &c->cerr, code, bit, d1, 0);
        c->cerr.d3 = NODE_INDEX(c, nd);
        c->has_c = 1;
    }
}

static int pyfail(ctx_t *c) {
    c->pyerr = 1;
    c->failed = 1;
    return -1;
}

static int push(ctx_t *c, int64_t element, int64_t start) {
    if (c->depth >= MAXD) return fail(c, E_DEPTH, start, MAXD, 0);
    c->path[c->depth++] = element;
    return 0;
}

/* ------------------------------------------------------------------------------------------------ bit reader */

static inline uint64_t load_be64(const uint8_t *b) {
    return ((uint64_t)b[0] << 56) | ((uint64_t)b[1] << 48) | ((uint64_t)b[2] << 40) | ((uint64_t)b[3] << 32) |
           ((uint64_t)b[4] << 24) | ((uint64_t)b[5] << 16) | ((uint64_t)b[6] << 8) | (uint64_t)b[7];
}

/* read n (0..64) bits as a non-negative binary integer (X.691 11.3) */
static inline int rd(ctx_t *c, int n, uint64_t *v) {
    if (n == 0) {
        *v = 0;
        return 0;
    }
    if (c->end - c->pos < n) return trunc_at(c);
    int64_t p = c->pos;
    int64_t byte = p >> 3;
    int off = (int)(p & 7);
    uint64_t x;
    if (n <= 56 && byte + 8 <= c->nbytes) {
        x = (load_be64(c->buf + byte) << off) >> (64 - n);
    } else {
        x = 0;
        int64_t q = p;
        int m = n;
        while (m > 0) {
            int o = (int)(q & 7);
            int take = 8 - o;
            if (take > m) take = m;
            x = (x << take) | (uint64_t)((c->buf[q >> 3] >> (8 - o - take)) & ((1u << take) - 1));
            q += take;
            m -= take;
        }
    }
    c->pos = p + n;
    *v = x;
    return 0;
}

static inline int bit_at(const uint8_t *buf, int64_t p) { return (buf[p >> 3] >> (7 - (p & 7))) & 1; }

/* copy nbits from the frame at bit position src into dst, left-aligned, zero-filled (dst has (nbits+7)/8 bytes) */
static void copy_bits(uint8_t *dst, const uint8_t *buf, int64_t src, int64_t nbits) {
    int64_t nb = (nbits + 7) / 8;
    if ((src & 7) == 0) {
        memcpy(dst, buf + (src >> 3), (size_t)nb);
    } else {
        int off = (int)(src & 7);
        const uint8_t *s = buf + (src >> 3);
        int64_t last = ((src + nbits - 1) >> 3) - (src >> 3); /* index of the last source byte holding data */
        for (int64_t i = 0; i < nb; i++) {
            unsigned hi = (unsigned)(s[i] << off) & 0xFF;
            unsigned lo = (i + 1 <= last) ? (unsigned)(s[i + 1] >> (8 - off)) : 0;
            dst[i] = (uint8_t)(hi | lo);
        }
    }
    if (nbits & 7) dst[nb - 1] &= (uint8_t)(0xFF << (8 - (nbits & 7)));
}

/* where the octets of a fragmented open type lie in the frame: segment k holds octets oct[k].. of the joined
 * content, starting at frame bit bit[k] (used to report faults inside it at their frame bit) */
typedef struct {
    int64_t n, cap;
    int64_t *bit, *oct;
} segmap_t;

static int seg_add(segmap_t *m, int64_t bit, int64_t oct) {
    if (m->n == m->cap) {
        int64_t cap = m->cap ? 2 * m->cap : 8;
        int64_t *b = PyMem_Realloc(m->bit, sizeof(int64_t) * (size_t)cap);
        if (!b) return -1;
        m->bit = b;
        int64_t *o = PyMem_Realloc(m->oct, sizeof(int64_t) * (size_t)cap);
        if (!o) return -1;
        m->oct = o;
        m->cap = cap;
    }
    m->bit[m->n] = bit;
    m->oct[m->n] = oct;
    m->n++;
    return 0;
}

static void seg_free(segmap_t *m) {
    PyMem_Free(m->bit);
    PyMem_Free(m->oct);
    m->bit = m->oct = NULL;
    m->n = m->cap = 0;
}

static int64_t seg_map(const segmap_t *m, int64_t b) {
    if (b < 0 || m->n == 0) return b;
    int64_t octet = b / 8, k = 0;
    while (k + 1 < m->n && m->oct[k + 1] <= octet) k++;
    return m->bit[k] + (b - 8 * m->oct[k]);
}

/* general length determinant, unaligned (X.691 11.9.3.5-11.9.3.8.4): *more = 1 when a fragment follows */
static int rd_len(ctx_t *c, int64_t start, int64_t *len, int *more) {
    uint64_t b, b2;
    *more = 0;
    if (rd(c, 8, &b)) return -1;
    if (!(b & 0x80)) {
        *len = (int64_t)b;
        return 0;
    }
    if ((b & 0xC0) == 0x80) {
        if (rd(c, 8, &b2)) return -1;
        *len = (int64_t)(((b & 0x3F) << 8) | b2);
        return 0;
    }
    if (b >= 0xC1 && b <= 0xC4) {
        *len = (int64_t)(b & 0x3F) * 16384;
        *more = 1;
        return 0;
    }
    return fail(c, E_LENGTH_DET, start, (int64_t)b, 0);
}

/* normally small non-negative whole number (X.691 11.6) */
static int rd_small(ctx_t *c, int64_t start, int64_t *value) {
    uint64_t b, v;
    if (rd(c, 1, &b)) return -1;
    if (!b) {
        if (rd(c, 6, &v)) return -1;
        *value = (int64_t)v;
        return 0;
    }
    int64_t len;
    int more;
    if (rd_len(c, start, &len, &more)) return -1;
    if ((c->end - c->pos) / 8 < len) return trunc_at(c);
    if (more || len > 8) { /* a number no table can hold: read past it; the caller finds no such index */
        c->pos += 8 * len;
        *value = INT64_MAX;
        return 0;
    }
    if (rd(c, (int)(8 * len), &v)) return -1;
    *value = v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v; /* INT64_MAX: beyond any table (named later) */
    return 0;
}

/* normally small length (X.691 11.9.3.4): n <= 64 as 0 + 6 bits (n - 1), else 1 + length determinant */
static int rd_small_len(ctx_t *c, int64_t start, int64_t *n) {
    uint64_t b, v;
    if (rd(c, 1, &b)) return -1;
    if (!b) {
        if (rd(c, 6, &v)) return -1;
        *n = (int64_t)v + 1;
        return 0;
    }
    /* the length determinant read bit by bit, as a bit-serial reader meets it (asn1tools reads it this way) */
    if (rd(c, 1, &b)) return -1;
    if (!b) {
        if (rd(c, 7, &v)) return -1;
        *n = (int64_t)v;
        return 0;
    }
    if (rd(c, 1, &b)) return -1;
    if (!b) {
        if (rd(c, 14, &v)) return -1;
        *n = (int64_t)v;
        return 0;
    }
    if (rd(c, 6, &v)) return -1;
    return fail(c, E_LENGTH_DET, start, 0xC0 | (int64_t)v, 0); /* a fragmented count of additions */
}

/* ------------------------------------------------------------------------------------------------ decoder */

static int dec(ctx_t *c, int64_t ni, PyObject **out);

static PyObject *str_at(ProgramObject *p, int64_t index) {
    PyObject *s = PyTuple_GET_ITEM(p->strings, index);
    Py_INCREF(s);
    return s;
}

/* count of a size-constrained type (X.691 11.9.4.1 / 16 / 17 / 20 / 30): root or extended; the caller reads the
 * items. Returns the number in *n, *frag = 1 when the length is a general length determinant that may be
 * followed by more fragments (then *more says whether it is). */
static int rd_count(ctx_t *c, int64_t *nd, int64_t start, int64_t *n, int *frag, int *more) {
    uint64_t e = 0, v;
    *frag = 0;
    *more = 0;
    if (nd[W_FLAGS] & F_EXT) {
        if (rd(c, 1, &e)) return -1;
    }
    if (e || !(nd[W_FLAGS] & F_BOUNDED)) {
        *frag = 1;
        return rd_len(c, start, n, more);
    }
    if (nd[W_LB] == nd[W_UB]) {
        *n = nd[W_LB];
    } else {
        if (rd(c, (int)nd[W_NBITS], &v)) return -1;
        *n = nd[W_LB] + (int64_t)v;
    }
    return 0;
}

static void check_size(ctx_t *c, int64_t *nd, int64_t start, int64_t n) {
    if (((nd[W_FLAGS] & F_CHECK_HI) && n > nd[W_CMAX]) || ((nd[W_FLAGS] & F_CHECK_LO) && n < nd[W_CMIN]))
        violate(c, E_CONSTRAINT, start, n, nd);
}

static int dec_bits(ctx_t *c, int64_t *nd, int64_t start, PyObject **out) {
    int64_t n, total = 0;
    int frag, more;
    uint8_t *acc = NULL;
    if (rd_count(c, nd, start, &n, &frag, &more)) return -1;
    for (;;) {
        if (n < 0 || c->end - c->pos < n) {
            PyMem_Free(acc);
            return trunc_at(c);
        }
        if (c->build) {
            uint8_t *grown = PyMem_Realloc(acc, (size_t)((total + n + 7) / 8 + 1));
            if (!grown) {
                PyMem_Free(acc);
                PyErr_NoMemory();
                return pyfail(c);
            }
            acc = grown;
            /* a fragment holds a multiple of 16384 bits (X.691 11.9.3.8), so the next one starts on an octet */
            if (n) copy_bits(acc + total / 8, c->buf, c->pos, n);
        }
        c->pos += n;
        total += n;
        if (!more) break;
        if (rd_len(c, start, &n, &more)) {
            PyMem_Free(acc);
            return -1;
        }
    }
    /* the extended form carries no root constraint (X.691 16.11); asn1tools cannot decode it at all */
    if (!(frag && (nd[W_FLAGS] & F_EXT))) check_size(c, nd, start, total);
    if (c->build) {
        PyObject *bytes = PyBytes_FromStringAndSize(total ? (const char *)acc : "", (total + 7) / 8);
        PyMem_Free(acc);
        if (!bytes) return pyfail(c);
        *out = Py_BuildValue("(NL)", bytes, (long long)total);
        if (!*out) return pyfail(c);
    }
    return 0;
}

static int dec_octets(ctx_t *c, int64_t *nd, int64_t start, PyObject **out, int64_t *content, int64_t *length,
                      segmap_t *map) {
    int64_t n, total = 0;
    int frag, more;
    PyObject *acc = NULL;
    *content = -1;
    if (rd_count(c, nd, start, &n, &frag, &more)) return -1;
    for (;;) {
        if (n < 0 || (c->end - c->pos) / 8 < n) {
            Py_XDECREF(acc);
            return fail(c, E_TRUNCATED, c->pos, 0, 0);
        }
        if (*content == -1) *content = c->pos;
        else *content = -2; /* fragmented: not one contiguous run */
        if (map && seg_add(map, c->pos, total)) {
            Py_XDECREF(acc);
            PyErr_NoMemory();
            return pyfail(c);
        }
        if (c->build) {
            PyObject *chunk = PyBytes_FromStringAndSize(NULL, n);
            if (!chunk) {
                Py_XDECREF(acc);
                return pyfail(c);
            }
            if (n) copy_bits((uint8_t *)PyBytes_AS_STRING(chunk), c->buf, c->pos, 8 * n);
            if (acc) {
                PyBytes_ConcatAndDel(&acc, chunk);
                if (!acc) return pyfail(c);
            } else {
                acc = chunk;
            }
        }
        c->pos += 8 * n;
        total += n;
        if (!more) break;
        if (rd_len(c, start, &n, &more)) {
            Py_XDECREF(acc);
            return -1;
        }
    }
    if (!(frag && (nd[W_FLAGS] & F_EXT))) check_size(c, nd, start, total);
    *length = total;
    if (c->build) *out = acc;
    return 0;
}

static int dec_kmstr(ctx_t *c, int64_t *nd, int64_t start, PyObject **out) {
    int64_t n, total = 0;
    int frag, more;
    int bpc = (int)nd[W_NOPT];
    int64_t asize = nd[W_AUX];
    const int64_t *alpha = c->p->alpha + nd[W_A];
    char small[256];
    char *text = small;
    Py_ssize_t cap = sizeof(small);
    if (rd_count(c, nd, start, &n, &frag, &more)) return -1;
    if (!frag) check_size(c, nd, start, n); /* before the characters, in the order the constraint checker uses */
    for (;;) {
        if (n < 0 || (bpc && (c->end - c->pos) / bpc < n)) {
            /* find the exact bit where it runs out, as a character-by-character reader would */
            int64_t whole = bpc ? (c->end - c->pos) / bpc : 0;
            c->pos += whole * bpc;
            if (text != small) PyMem_Free(text);
            return fail(c, E_TRUNCATED, c->pos, 0, 0);
        }
        if (c->build && total + n > cap) {
            Py_ssize_t want = (Py_ssize_t)(total + n);
            char *grown = PyMem_Malloc((size_t)want);
            if (!grown) {
                if (text != small) PyMem_Free(text);
                PyErr_NoMemory();
                return pyfail(c);
            }
            memcpy(grown, text, (size_t)total);
            if (text != small) PyMem_Free(text);
            text = grown;
            cap = want;
        }
        for (int64_t i = 0; i < n; i++) {
            uint64_t idx = 0;
            rd(c, bpc, &idx); /* cannot run out: the whole run of characters was checked above */
            if ((int64_t)idx >= asize) {
                if (text != small) PyMem_Free(text);
                return fail(c, E_ALPHABET, start, (int64_t)idx, asize);
            }
            int64_t entry = alpha[idx];
            if (entry >> 32) violate(c, E_ALPHA_CONSTRAINT, start, entry & 0xFFFF, nd);
            if (c->build) text[total + i] = (char)(entry & 0x7F);
        }
        total += n;
        if (!more) break;
        if (rd_len(c, start, &n, &more)) {
            if (text != small) PyMem_Free(text);
            return -1;
        }
    }
    if (frag && !(nd[W_FLAGS] & F_EXT)) check_size(c, nd, start, total);
    if (c->build) {
        *out = PyUnicode_DecodeASCII(text, (Py_ssize_t)total, "strict");
        if (text != small) PyMem_Free(text);
        if (!*out) return pyfail(c);
    } else if (text != small) {
        PyMem_Free(text);
    }
    return 0;
}

static int dec_utf8(ctx_t *c, int64_t *nd, int64_t start, PyObject **out) {
    int64_t n;
    int more;
    PyObject *acc = PyBytes_FromStringAndSize(NULL, 0);
    if (!acc) return pyfail(c);
    do {
        if (rd_len(c, start, &n, &more)) {
            Py_DECREF(acc);
            return -1;
        }
        if ((c->end - c->pos) / 8 < n) {
            Py_DECREF(acc);
            return fail(c, E_TRUNCATED, c->pos, 0, 0);
        }
        PyObject *chunk = PyBytes_FromStringAndSize(NULL, n);
        if (!chunk) {
            Py_DECREF(acc);
            return pyfail(c);
        }
        if (n) copy_bits((uint8_t *)PyBytes_AS_STRING(chunk), c->buf, c->pos, 8 * n);
        PyBytes_ConcatAndDel(&acc, chunk);
        if (!acc) return pyfail(c);
        c->pos += 8 * n;
    } while (more);
    PyObject *text = PyUnicode_DecodeUTF8(PyBytes_AS_STRING(acc), PyBytes_GET_SIZE(acc), "strict");
    Py_DECREF(acc);
    if (!text) {
        PyErr_Clear();
        return fail(c, E_UTF8, start, 0, 0);
    }
    check_size(c, nd, start, PyUnicode_GET_LENGTH(text));
    if (c->build) *out = text;
    else Py_DECREF(text);
    return 0;
}

/* the next len octets as a Python int (two's complement when is_signed), read past; NULL after pyfail */
static PyObject *octets_to_long(ctx_t *c, int64_t len, int is_signed) {
    uint8_t *tmp = PyMem_Malloc((size_t)len);
    if (!tmp) {
        PyErr_NoMemory();
        pyfail(c);
        return NULL;
    }
    copy_bits(tmp, c->buf, c->pos, 8 * len);
    c->pos += 8 * len;
    PyObject *number = _PyLong_FromByteArray(tmp, (size_t)len, 0, is_signed);
    PyMem_Free(tmp);
    if (!number) pyfail(c);
    return number;
}

/* *out = lb + off for a value beyond 64 bits (off: a new reference, taken; NULL when making it failed) */
static int lb_plus(ctx_t *c, int64_t lb, PyObject *off, PyObject **out) {
    if (!off) return pyfail(c);
    PyObject *low = PyLong_FromLongLong(lb);
    *out = low ? PyNumber_Add(low, off) : NULL;
    Py_XDECREF(low);
    Py_DECREF(off);
    return *out ? 0 : pyfail(c);
}

/* the len octets of a semi-constrained INTEGER at c->pos (length read and checked): lb + their unsigned value */
static int dec_semi(ctx_t *c, int64_t *nd, int64_t len, PyObject **out) {
    if (len <= 8) {
        uint64_t v = 0; /* the length was checked against the frame: rd() cannot fail here */
        rd(c, (int)(8 * len), &v);
        __int128 value = (__int128)nd[W_LB] + (__int128)v;
        if (value <= INT64_MAX) {
            c->last_int = (int64_t)value;
            c->last_int_ok = 1;
            if (c->build && !(*out = PyLong_FromLongLong((long long)value))) return pyfail(c);
            return 0;
        }
        return c->build ? lb_plus(c, nd[W_LB], PyLong_FromUnsignedLongLong(v), out) : 0;
    }
    if (!c->build) {
        c->pos += 8 * len;
        return 0;
    }
    return lb_plus(c, nd[W_LB], octets_to_long(c, len, 0), out);
}

static int dec_int(ctx_t *c, int64_t *nd, int64_t start, PyObject **out) {
    uint64_t e = 0, v = 0;
    c->last_int_ok = 0;
    if (nd[W_FLAGS] & F_EXT) {
        if (rd(c, 1, &e)) return -1;
    }
    if (!e && (nd[W_FLAGS] & F_BOUNDED)) {
        if (rd(c, (int)nd[W_NBITS], &v)) return -1;
        __int128 value = (__int128)nd[W_LB] + (__int128)v;
        if (((nd[W_FLAGS] & F_CHECK_HI) && value > nd[W_CMAX]) || ((nd[W_FLAGS] & F_CHECK_LO) && value < nd[W_CMIN]))
            violate(c, E_CONSTRAINT, start, (int64_t)value, nd);
        if (value >= INT64_MIN && value <= INT64_MAX) {
            c->last_int = (int64_t)value;
            c->last_int_ok = 1;
            if (c->build && !(*out = PyLong_FromLongLong((long long)value))) return pyfail(c);
        } else if (c->build && lb_plus(c, nd[W_LB], PyLong_FromUnsignedLongLong(v), out)) {
            return -1;
        }
        return 0;
    }
    /* unconstrained (or extended) whole number: length in octets, two's complement (X.691 12.2.6, 11.8); or
     * semi-constrained (F_SEMI): length in octets, value - lb as a non-negative binary integer (X.691 13.2.3, 11.7) */
    int64_t len;
    int more;
    if (rd_len(c, start, &len, &more)) return -1;
    if (len == 0) return fail(c, E_INT_LENGTH, start, 0, 0);
    if ((c->end - c->pos) / 8 < len) return trunc_at(c);
    if (more) return fail(c, E_LENGTH_DET, start, len, 0);
    if (!e && (nd[W_FLAGS] & F_SEMI)) return dec_semi(c, nd, len, out); /* always >= lb: nothing to check */
    int checks = (int)(nd[W_FLAGS] & (F_CHECK_HI | F_CHECK_LO)) && !e;
    if (len <= 8) {
        rd(c, (int)(8 * len), &v);
        int64_t value;
        if (len == 8) value = (int64_t)v;
        else value = (v & ((uint64_t)1 << (8 * len - 1))) ? (int64_t)(v | (~(uint64_t)0 << (8 * len))) : (int64_t)v;
        c->last_int = value;
        c->last_int_ok = 1;
        if (checks && (((nd[W_FLAGS] & F_CHECK_HI) && value > nd[W_CMAX]) || ((nd[W_FLAGS] & F_CHECK_LO) && value < nd[W_CMIN])))
            violate(c, E_CONSTRAINT, start, value, nd);
        if (c->build && !(*out = PyLong_FromLongLong(value))) return pyfail(c);
        return 0;
    }
    PyObject *big = octets_to_long(c, len, 1);
    if (!big) return -1;
    if (checks) {
        int bad = 0;
        if (nd[W_FLAGS] & F_CHECK_HI) {
            PyObject *lim = PyLong_FromLongLong(nd[W_CMAX]);
            bad |= lim && PyObject_RichCompareBool(big, lim, Py_GT) == 1;
            Py_XDECREF(lim);
        }
        if (nd[W_FLAGS] & F_CHECK_LO) {
            PyObject *lim = PyLong_FromLongLong(nd[W_CMIN]);
            bad |= lim && PyObject_RichCompareBool(big, lim, Py_LT) == 1;
            Py_XDECREF(lim);
        }
        if (bad) violate(c, E_CONSTRAINT, start, INT64_MAX, nd);
    }
    if (c->build) *out = big;
    else Py_DECREF(big);
    return 0;
}

static int dec_enum(ctx_t *c, int64_t *nd, int64_t start, PyObject **out) {
    uint64_t e = 0, v;
    if (nd[W_FLAGS] & F_EXT) {
        if (rd(c, 1, &e)) return -1;
    }
    if (e) { /* X.691 14.3: extension value as a normally small non-negative whole number */
        int64_t at = c->pos, index;
        if (rd_small(c, start, &index)) return -1;
        /* a value this edition does not define is refused, as an unknown CHOICE extension alternative is: the
         * frame is judged against the edition it claims (codec/hardening.py does the same on the Python path) */
        if (index >= nd[W_BCOUNT]) return fail3(c, E_UNKNOWN_VALUE, at, index, nd[W_BCOUNT], NODE_INDEX(c, nd));
        if (c->build) *out = str_at(c->p, nd[W_B] + index);
        return 0;
    }
    if (rd(c, (int)nd[W_NBITS], &v)) return -1;
    if ((int64_t)v >= nd[W_ACOUNT]) return fail3(c, E_ENUM_INDEX, start, (int64_t)v, nd[W_ACOUNT], NODE_INDEX(c, nd));
    if (c->build) *out = str_at(c->p, nd[W_A] + (int64_t)v);
    return 0;
}

/* the frame bit of a bit of an open type's octets: the same bit (map NULL: the frame's own bytes), or mapped from
 * the joined fragments of a fragmented one */
static int64_t frame_bit(const segmap_t *map, int64_t bit) { return map ? seg_map(map, bit) : bit; }

/* after an open-type field's value of `used` bits: no whole unused octet (X.691 11.2) and zero padding bits in
 * [from, to) of buf (X.691 11.1); faults are reported at the frame bit and belong to the container (member name) */
static int open_field_tail(ctx_t *c, const uint8_t *buf, int64_t from, int64_t to, int64_t used, int64_t len_octets,
                           const segmap_t *map, int64_t err_bit, int64_t name) {
    if (8 * len_octets - used >= 8) return fail3(c, E_OPEN_LENGTH, err_bit, len_octets, (used + 7) / 8, name);
    for (int64_t q = from; q < to; q++)
        if (bit_at(buf, q)) return fail3(c, E_OPEN_PADDING, frame_bit(map, q), 0, 0, name);
    return 0;
}

/* a decoder over the octets of an open type that shares the program, path, item budget and captures of c: the
 * frame's own bytes from bit `start`, or the joined fragments of a fragmented one (start 0); NULL after a failure
 * recorded in c */
static ctx_t *open_ctx(ctx_t *c, const uint8_t *buf, int64_t buf_bytes, int64_t start, int64_t nbytes, int build,
                       int64_t next_edge) {
    ctx_t *s = PyMem_Calloc(1, sizeof(ctx_t));
    if (!s) {
        PyErr_NoMemory();
        pyfail(c);
        return NULL;
    }
    s->p = c->p;
    s->buf = buf;
    s->nbytes = buf_bytes;
    s->pos = start;
    s->end = start + 8 * nbytes;
    s->build = build;
    s->depth = c->depth;
    memcpy(s->path, c->path, sizeof(int64_t) * (size_t)c->depth);
    s->items = c->items;
    s->next_edge = next_edge;
    s->capture = c->capture;
    s->captures = c->captures;
    return s;
}

/* decode a child inside [c->pos, end): an open-type field whose octets are given by its length (X.691 11.2).
 * Returns 0 when the value fits; checks that no whole unused octet remains and that the padding is zero. */
static int dec_open_field(ctx_t *c, int64_t ni, int64_t len_octets, int64_t err_bit, PyObject **out) {
    int64_t content = c->pos;
    int64_t declared_end = content + 8 * len_octets;
    int64_t saved_end = c->end;
    if (declared_end < c->end) c->end = declared_end;
    int r = dec(c, ni, out);
    c->end = saved_end;
    if (r) return r;
    int64_t name = c->path[c->depth - 1];
    c->depth--; /* faults of the open type's length and padding belong to the container, as on the Python path */
    int64_t stop = declared_end < c->end ? declared_end : c->end;
    if (open_field_tail(c, c->buf, c->pos, stop, c->pos - content, len_octets, NULL, err_bit, name)) {
        if (out && *out) Py_CLEAR(*out);
        return -1;
    }
    if (declared_end > c->end) {
        if (out && *out) Py_CLEAR(*out);
        return trunc_at(c);
    }
    c->pos = declared_end;
    return 0;
}

static void finish(ctx_t *c, int64_t content, int64_t nbytes, int allow_trailing, int allow_padding, err_t **verdict);

/* read the fragments of an open type (X.691 11.9.3.8) whose first length was just read into one buffer */
static int rd_joined(ctx_t *c, int64_t start, int64_t len, int more, uint8_t **out, int64_t *total, segmap_t *map) {
    uint8_t *buf = NULL;
    int64_t n = 0;
    for (;;) {
        if ((c->end - c->pos) / 8 < len) {
            PyMem_Free(buf);
            return trunc_at(c);
        }
        uint8_t *grown = PyMem_Realloc(buf, (size_t)(n + len + 1));
        if (!grown || seg_add(map, c->pos, n)) {
            PyMem_Free(grown ? grown : buf);
            PyErr_NoMemory();
            return pyfail(c);
        }
        buf = grown;
        if (len) copy_bits(buf + n, c->buf, c->pos, 8 * len);
        c->pos += 8 * len;
        n += len;
        if (!more) break;
        if (rd_len(c, start, &len, &more)) {
            PyMem_Free(buf);
            return -1;
        }
    }
    *out = buf;
    *total = n;
    return 0;
}

/* decode node ni, an open-type field (CHOICE extension alternative, SEQUENCE addition) of a fragmented open type,
 * from its joined octets; judged as dec_open_field judges one (the caller pushed its name; faults of length and
 * padding belong to the container), every fault reported at its frame bit.
 * Returns 0 (value in *out when asked) or -1 (the frame stops). */
static int dec_joined(ctx_t *c, int64_t ni, const uint8_t *buf, int64_t nbytes, const segmap_t *map, int64_t err_bit,
                      PyObject **out) {
    ctx_t *s = open_ctx(c, buf, nbytes, 0, nbytes, out != NULL, c->next_edge);
    if (!s) return -1;
    c->next_edge = -1;
    PyObject *value = NULL;
    dec(s, ni, out ? &value : NULL);
    c->items = s->items;
    int r = 0;
    if (s->pyerr) {
        Py_XDECREF(value);
        PyMem_Free(s);
        return pyfail(c);
    }
    if (s->failed) {
        c->err = s->err;
        c->err.bit = seg_map(map, s->err.bit);
        c->failed = 1;
        Py_CLEAR(value);
        r = -1;
    } else {
        if (s->has_c && !c->has_c) {
            c->cerr = s->cerr;
            c->cerr.bit = seg_map(map, s->cerr.bit);
            c->has_c = 1;
        }
        if (s->has_o && !c->has_o) {
            c->oerr = s->oerr;
            c->oerr.bit = seg_map(map, s->oerr.bit);
            c->has_o = 1;
        }
        int64_t name = c->path[c->depth - 1];
        c->depth--;
        if (open_field_tail(c, buf, s->pos, 8 * nbytes, s->pos, nbytes, map, err_bit, name)) {
            Py_CLEAR(value);
            r = -1;
        }
    }
    PyMem_Free(s);
    if (out) *out = value;
    else Py_XDECREF(value);
    return r;
}

/* decode node root, the registry's open value: a complete encoding of nbytes octets (the frame's own bytes from
 * bit start, or joined fragments with their map), judged by finish(); its fault is kept as the frame's open-type
 * fault, naming the inner type. Returns 0 (*out: the value, or NULL after a fault) or -1 (the frame stops). */
static int dec_complete(ctx_t *c, int64_t root, const uint8_t *buf, int64_t buf_bytes, int64_t start, int64_t nbytes,
                        const segmap_t *map, int64_t type_name, PyObject **out) {
    ctx_t *s = open_ctx(c, buf, buf_bytes, start, nbytes, out != NULL, -1);
    if (!s) return -1;
    PyObject *value = NULL;
    err_t *verdict = NULL;
    if (nbytes == 0) {
        capture(s, &s->err, E_EMPTY, start, 0, 0);
        verdict = &s->err;
    } else {
        dec(s, root, out ? &value : NULL);
        c->items = s->items;
        if (s->pyerr) {
            Py_XDECREF(value);
            PyMem_Free(s);
            return pyfail(c);
        }
        finish(s, start, nbytes, 0, 0, &verdict);
    }
    if (verdict) {
        Py_CLEAR(value);
        if (!c->has_o) {
            c->oerr = *verdict;
            c->oerr.bit = frame_bit(map, verdict->bit);
            c->oerr.inner_type = type_name;
            c->oerr.inner_len = nbytes;
            c->has_o = 1;
        }
    }
    PyMem_Free(s);
    if (out) *out = value;
    else Py_XDECREF(value);
    return 0;
}

static int dec_choice(ctx_t *c, int64_t *nd, int64_t start, PyObject **out) {
    uint64_t e = 0, v;
    ProgramObject *p = c->p;
    if (nd[W_FLAGS] & F_EXT) {
        if (rd(c, 1, &e)) return -1;
    }
    PyObject *value = NULL;
    int64_t edge;
    if (!e) {
        if (rd(c, (int)nd[W_NBITS], &v)) return -1;
        if ((int64_t)v >= nd[W_ACOUNT]) return fail3(c, E_CHOICE_INDEX, start, (int64_t)v, nd[W_ACOUNT], NODE_INDEX(c, nd));
        edge = nd[W_A] + (int64_t)v;
        if (push(c, EDGE(p, edge)[0], c->pos)) return -1;
        c->next_edge = edge;
        if (dec(c, EDGE(p, edge)[1], c->build ? &value : NULL)) return -1;
        c->depth--;
    } else { /* X.691 23.8: extension alternative in an open type */
        int64_t at = c->pos, index, len;
        int more;
        if (rd_small(c, start, &index)) return -1;
        if (index >= nd[W_BCOUNT]) return fail3(c, E_UNKNOWN_ALT, at, index, nd[W_BCOUNT], NODE_INDEX(c, nd));
        if (rd_len(c, start, &len, &more)) return -1;
        /* a fragmented open type the frame holds is decoded from its joined fragments; one longer than the frame
         * is decoded as far as the frame goes, like any other, and ends as a truncation or a length fault */
        edge = nd[W_B] + index;
        if (push(c, EDGE(p, edge)[0], c->pos)) return -1;
        c->next_edge = edge;
        if (more && (c->end - c->pos) / 8 >= len) { /* fragmented: decoded from the joined fragments */
            uint8_t *joined = NULL;
            int64_t total = 0;
            segmap_t map = {0, 0, NULL, NULL};
            int r = rd_joined(c, start, len, more, &joined, &total, &map);
            if (!r) r = dec_joined(c, EDGE(p, edge)[1], joined, total, &map, at, c->build ? &value : NULL);
            PyMem_Free(joined);
            seg_free(&map);
            if (r) return -1;
        } else if (dec_open_field(c, EDGE(p, edge)[1], len, at, c->build ? &value : NULL)) {
            return -1;
        }
    }
    if (c->build) {
        *out = PyTuple_Pack(2, PyTuple_GET_ITEM(p->strings, EDGE(p, edge)[0]), value);
        Py_DECREF(value);
        if (!*out) return pyfail(c);
    }
    return 0;
}

static int dec_open_value(ctx_t *c, int64_t *container, int64_t key, int key_ok, int64_t key_start,
                          int64_t key_name, int64_t content, int64_t length, PyObject *raw, PyObject **out,
                          const uint8_t *joined, const segmap_t *map);

static int dec_seq(ctx_t *c, int64_t *nd, int64_t start, PyObject **out) {
    ProgramObject *p = c->p;
    uint64_t e = 0;
    if (nd[W_FLAGS] & F_EXT) {
        if (rd(c, 1, &e)) return -1;
    }
    int64_t nopt = nd[W_NOPT];
    int64_t bitmap = c->pos;
    if (c->end - c->pos < nopt) {
        c->pos += (c->end - c->pos); /* a bit-by-bit reader runs out at the end of the data */
        return trunc_at(c);
    }
    c->pos += nopt;
    PyObject *dict = NULL;
    if (c->build && !(dict = PyDict_New())) return pyfail(c);
    int64_t *binding = nd[W_OPEN] >= 0 ? p->bind + nd[W_OPEN] : NULL;
    int64_t key = 0, key_start = -1;
    int key_ok = 0;
    int64_t k = 0;
    for (int64_t i = 0; i < nd[W_ACOUNT]; i++) {
        int64_t *edge = EDGE(p, nd[W_A] + i);
        if (edge[2]) {
            int present = bit_at(c->buf, bitmap + k++);
            if (!present) {
                if (edge[3] >= 0 && dict &&
                    PyDict_SetItem(dict, PyTuple_GET_ITEM(p->strings, edge[0]), PyTuple_GET_ITEM(p->defaults, edge[3])))
                    goto pyerror;
                continue;
            }
        }
        if (push(c, edge[0], c->pos)) goto error;
        PyObject *value = NULL;
        int64_t member_start = c->pos;
        if (binding && i == binding[1]) {
            int64_t content, length;
            int64_t *child = NODE(p, edge[1]);
            segmap_t map = {0, 0, NULL, NULL};
            if (dec_octets(c, child, member_start, dict ? &value : NULL, &content, &length, &map)) {
                seg_free(&map);
                goto error;
            }
            PyObject *open = NULL;
            uint8_t *joined = NULL;
            if (content == -2) { /* fragmented: the inner value is decoded from the joined fragments */
                joined = PyMem_Malloc((size_t)length + 1);
                if (!joined) {
                    seg_free(&map);
                    Py_XDECREF(value);
                    PyErr_NoMemory();
                    pyfail(c);
                    goto error;
                }
                for (int64_t k = 0; k < map.n; k++) {
                    int64_t upto = k + 1 < map.n ? map.oct[k + 1] : length;
                    if (upto > map.oct[k]) copy_bits(joined + map.oct[k], c->buf, map.bit[k], 8 * (upto - map.oct[k]));
                }
            }
            int r = dec_open_value(c, nd, key, key_ok, key_start, EDGE(p, nd[W_A] + binding[0])[0], content, length,
                                   value, dict ? &open : NULL, joined, &map);
            PyMem_Free(joined);
            seg_free(&map);
            if (r) {
                Py_XDECREF(value);
                goto error;
            }
            if (open) {
                Py_XDECREF(value);
                value = open;
            }
        } else if ((c->next_edge = nd[W_A] + i, dec(c, edge[1], dict ? &value : NULL))) {
            goto error;
        }
        c->depth--;
        if (binding && i == binding[0]) {
            key = c->last_int;
            key_ok = c->last_int_ok;
            key_start = member_start;
        }
        if (dict) {
            int r = PyDict_SetItem(dict, PyTuple_GET_ITEM(p->strings, edge[0]), value);
            Py_DECREF(value);
            if (r) goto pyerror;
        }
    }
    if (e) { /* X.691 19.7-19.9: extension additions, each in an open type */
        int64_t n;
        if (rd_small_len(c, start, &n)) goto error;
        int64_t presence = c->pos;
        if (c->end - c->pos < n) {
            trunc_at(c);
            goto error;
        }
        c->pos += n;
        for (int64_t i = 0; i < n; i++) {
            if (!bit_at(c->buf, presence + i)) continue;
            int64_t len;
            int more;
            if (rd_len(c, start, &len, &more)) goto error;
            int fragmented = more && (c->end - c->pos) / 8 >= len;
            int64_t content = c->pos;
            if (i < nd[W_BCOUNT]) {
                int64_t *edge = EDGE(p, nd[W_B] + i);
                PyObject *value = NULL;
                if (push(c, edge[0], c->pos)) goto error;
                c->next_edge = nd[W_B] + i;
                if (fragmented) { /* decoded from the joined fragments */
                    uint8_t *joined = NULL;
                    int64_t total = 0;
                    segmap_t map = {0, 0, NULL, NULL};
                    int r = rd_joined(c, start, len, more, &joined, &total, &map);
                    if (!r) r = dec_joined(c, edge[1], joined, total, &map, content, dict ? &value : NULL);
                    PyMem_Free(joined);
                    seg_free(&map);
                    if (r) goto error;
                } else if (dec_open_field(c, edge[1], len, content, dict ? &value : NULL)) {
                    goto error;
                }
                if (dict) {
                    int r = PyDict_SetItem(dict, PyTuple_GET_ITEM(p->strings, edge[0]), value);
                    Py_DECREF(value);
                    if (r) goto pyerror;
                }
            } else if (fragmented) { /* an addition of a later edition, in fragments: skipped */
                uint8_t *joined = NULL;
                int64_t total = 0;
                segmap_t map = {0, 0, NULL, NULL};
                int r = rd_joined(c, start, len, more, &joined, &total, &map);
                PyMem_Free(joined);
                seg_free(&map);
                if (r) goto error;
            } else { /* an addition of a later edition: skipped, as X.691 lets a receiver do */
                if ((c->end - c->pos) / 8 < len) {
                    trunc_at(c);
                    goto error;
                }
                c->pos += 8 * len;
            }
        }
    }
    if (dict) *out = dict;
    return 0;
pyerror:
    Py_XDECREF(dict);
    return pyfail(c);
error:
    Py_XDECREF(dict);
    return -1;
}

static int dec_seqof(ctx_t *c, int64_t *nd, int64_t start, PyObject **out) {
    int64_t n, total = 0;
    int frag, more;
    PyObject *list = NULL;
    if (c->build && !(list = PyList_New(0))) return pyfail(c);
    if (rd_count(c, nd, start, &n, &frag, &more)) goto error;
    if (!frag) check_size(c, nd, start, n); /* before the elements, in the order the constraint checker uses */
    for (;;) {
        for (int64_t i = 0; i < n; i++) {
            if (++c->items > 8 * c->nbytes + 65536) {
                fail(c, E_LIMIT, start, total + i, 0);
                goto error;
            }
            PyObject *value = NULL;
            if (push(c, -(total + i) - 1, c->pos)) goto error;
            if (dec(c, nd[W_A], list ? &value : NULL)) goto error;
            c->depth--;
            if (list) {
                int r = PyList_Append(list, value);
                Py_DECREF(value);
                if (r) {
                    Py_DECREF(list);
                    return pyfail(c);
                }
            }
        }
        total += n;
        if (!more) break;
        if (rd_len(c, start, &n, &more)) goto error;
    }
    if (frag && !(nd[W_FLAGS] & F_EXT)) check_size(c, nd, start, total);
    if (list) *out = list;
    return 0;
error:
    Py_XDECREF(list);
    return -1;
}

static int dec_node(ctx_t *c, int64_t ni, PyObject **out) {
    int64_t *nd = NODE(c->p, ni);
    int64_t start = c->pos;
    uint64_t v;
    if (out) *out = NULL;
    switch ((int)nd[W_KIND]) {
    case K_SEQ:
        return dec_seq(c, nd, start, out);
    case K_SEQOF:
        return dec_seqof(c, nd, start, out);
    case K_CHOICE:
        return dec_choice(c, nd, start, out);
    case K_INT:
        return dec_int(c, nd, start, out);
    case K_ENUM:
        return dec_enum(c, nd, start, out);
    case K_BOOL:
        if (rd(c, 1, &v)) return -1;
        if (out) {
            *out = v ? Py_True : Py_False;
            Py_INCREF(*out);
        }
        return 0;
    case K_NULL:
        if (out) {
            Py_INCREF(Py_None);
            *out = Py_None;
        }
        return 0;
    case K_BITS:
        return dec_bits(c, nd, start, out);
    case K_OCTETS: {
        int64_t content, length;
        return dec_octets(c, nd, start, out, &content, &length, NULL);
    }
    case K_KMSTR:
        return dec_kmstr(c, nd, start, out);
    case K_UTF8:
        return dec_utf8(c, nd, start, out);
    }
    PyErr_Format(PyExc_SystemError, "native UPER program: node %lld has unknown kind %lld", (long long)ni,
                 (long long)nd[W_KIND]);
    return pyfail(c);
}

static PyObject *path_of(ctx_t *c);

/* decode one node; when extracting, a value reached through a selected edge is built and kept with its path */
static int dec(ctx_t *c, int64_t ni, PyObject **out) {
    int64_t edge = c->next_edge;
    c->next_edge = -1;
    if (!c->capture || edge < 0 || !c->capture[edge]) return dec_node(c, ni, out);
    PyObject *value = NULL;
    int saved = c->build;
    c->build = 1;
    int r = dec_node(c, ni, &value);
    c->build = saved;
    if (r) {
        Py_XDECREF(value);
        return r;
    }
    PyObject *path = path_of(c);
    PyObject *pair = path ? PyTuple_Pack(2, path, value) : NULL;
    Py_XDECREF(path);
    if (!pair || PyList_Append(c->captures, pair)) {
        Py_XDECREF(pair);
        Py_DECREF(value);
        return pyfail(c);
    }
    Py_DECREF(pair);
    if (out) *out = value;
    else Py_DECREF(value);
    return 0;
}

/* the whole-value rules applied to a top-level value and to an open type's content (the Python path decodes
 * an open type's octets as a complete encoding): empty, structure, trailing octets, constraints, open types,
 * padding, in that order */
static void finish(ctx_t *c, int64_t content, int64_t nbytes, int allow_trailing, int allow_padding, err_t **verdict) {
    *verdict = NULL;
    if (c->failed) {
        *verdict = &c->err;
        return;
    }
    int64_t bits = c->pos - content;
    int64_t needed = (bits + 7) / 8;
    if (nbytes > needed && !allow_trailing) {
        capture(c, &c->err, E_TRAILING, content + needed * 8, nbytes - needed, bits);
        c->failed = 1;
        *verdict = &c->err;
        return;
    }
    if (c->has_c) {
        *verdict = &c->cerr;
        return;
    }
    if (c->has_o) {
        *verdict = &c->oerr;
        return;
    }
    if (!allow_padding) {
        for (int64_t q = c->pos; q < content + needed * 8; q++) {
            if (bit_at(c->buf, q)) {
                capture(c, &c->err, E_PADDING, q, bits, q - content);
                c->failed = 1;
                *verdict = &c->err;
                return;
            }
        }
    }
}

static int dec_open_value(ctx_t *c, int64_t *container, int64_t key, int key_ok, int64_t key_start,
                          int64_t key_name, int64_t content, int64_t length, PyObject *raw, PyObject **out,
                          const uint8_t *joined, const segmap_t *map) {
    ProgramObject *p = c->p;
    int64_t *b = p->bind + container[W_OPEN];
    int64_t count = b[2];
    int64_t root = -1, type_name = -1;
    for (int64_t i = 0; key_ok && i < count; i++) {
        if (b[3 + 3 * i] == key) {
            root = b[3 + 3 * i + 1];
            type_name = b[3 + 3 * i + 2];
            break;
        }
    }
    if (root < 0) {
        if (!c->has_o) {
            /* the path names the key: replace the value member (top of the stack) by the key member */
            int64_t saved = c->path[c->depth - 1];
            c->path[c->depth - 1] = key_name;
            capture(c, &c->oerr, E_OPEN_KEY, key_start, key, 0);
            c->path[c->depth - 1] = saved;
            c->has_o = 1;
        }
        return 0;
    }
    PyObject *value = NULL;
    int r = joined ? dec_complete(c, root, joined, length, 0, length, map, type_name, out ? &value : NULL)
                   : dec_complete(c, root, c->buf, c->nbytes, content, length, NULL, type_name, out ? &value : NULL);
    if (r) return -1;
    if (out && value) {
        *out = PyObject_CallFunctionObjArgs(p->open_value, PyTuple_GET_ITEM(p->strings, type_name), value, raw, NULL);
        Py_DECREF(value);
        if (!*out) return pyfail(c);
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------------ Python API */

static PyObject *path_tuple(ProgramObject *p, err_t *e) {
    PyObject *t = PyTuple_New(e->depth);
    if (!t) return NULL;
    for (int i = 0; i < e->depth; i++) {
        PyObject *item = e->path[i] >= 0 ? str_at(p, e->path[i]) : PyLong_FromLongLong(-e->path[i] - 1);
        if (!item) {
            Py_DECREF(t);
            return NULL;
        }
        PyTuple_SET_ITEM(t, i, item);
    }
    return t;
}

static PyObject *path_of(ctx_t *c) {
    err_t *e = PyMem_Malloc(sizeof(err_t));
    if (!e) return PyErr_NoMemory();
    e->depth = c->depth;
    memcpy(e->path, c->path, sizeof(int64_t) * (size_t)c->depth);
    PyObject *t = path_tuple(c->p, e);
    PyMem_Free(e);
    return t;
}

/* (code, bit, path, (d1, d2, d3), bits used, (inner type, its octets) or None, value or None) */
static PyObject *result(ProgramObject *p, ctx_t *c, err_t *verdict, PyObject *value) {
    if (!verdict) {
        PyObject *r =
            Py_BuildValue("(iL()(iii)LOO)", 0, -1LL, 0, 0, -1, (long long)c->pos, Py_None, value ? value : Py_None);
        return r;
    }
    PyObject *path = path_tuple(p, verdict);
    if (!path) return NULL;
    PyObject *inner;
    if (verdict->inner_type >= 0)
        inner = Py_BuildValue("(OL)", PyTuple_GET_ITEM(p->strings, verdict->inner_type), (long long)verdict->inner_len);
    else
        inner = (Py_INCREF(Py_None), Py_None);
    if (!inner) {
        Py_DECREF(path);
        return NULL;
    }
    return Py_BuildValue("(iLN(LLL)LNO)", verdict->code, (long long)verdict->bit, path, (long long)verdict->d1,
                         (long long)verdict->d2, (long long)verdict->d3, (long long)c->pos, inner, Py_None);
}

static PyObject *run_decode(ProgramObject *self, int64_t root, const uint8_t *buf, Py_ssize_t n, int build,
                            int allow_trailing, int allow_padding, const uint8_t *selected, PyObject *captures) {
    if (root < 0 || root >= self->nnodes) {
        PyErr_SetString(PyExc_IndexError, "no such root node");
        return NULL;
    }
    ctx_t *c = PyMem_Malloc(sizeof(ctx_t));
    if (!c) return PyErr_NoMemory();
    c->p = self;
    c->buf = buf;
    c->nbytes = n;
    c->pos = 0;
    c->end = 8 * (int64_t)n;
    c->build = build;
    c->depth = 0;
    c->failed = c->pyerr = c->has_c = c->has_o = 0;
    c->last_int_ok = 0;
    c->items = 0;
    c->next_edge = -1;
    c->capture = selected;
    c->captures = captures;
    PyObject *value = NULL, *r;
    err_t *verdict = NULL;
    if (n == 0) {
        capture(c, &c->err, E_EMPTY, 0, 0, 0);
        verdict = &c->err;
        r = result(self, c, verdict, NULL);
    } else {
        dec(c, root, build ? &value : NULL);
        if (c->pyerr) {
            Py_XDECREF(value);
            PyMem_Free(c);
            return NULL;
        }
        finish(c, 0, n, allow_trailing, allow_padding, &verdict);
        r = result(self, c, verdict, verdict ? NULL : value);
        Py_XDECREF(value);
    }
    PyMem_Free(c);
    return r;
}

static PyObject *Program_validate(ProgramObject *self, PyObject *args) {
    long long root;
    Py_buffer view;
    if (!PyArg_ParseTuple(args, "Ly*", &root, &view)) return NULL;
    PyObject *r = run_decode(self, root, view.buf, view.len, 0, 0, 0, NULL, NULL);
    PyBuffer_Release(&view);
    return r;
}

static PyObject *Program_decode(ProgramObject *self, PyObject *args) {
    long long root;
    Py_buffer view;
    int allow_trailing = 0, allow_padding = 0;
    if (!PyArg_ParseTuple(args, "Ly*|pp", &root, &view, &allow_trailing, &allow_padding)) return NULL;
    PyObject *r = run_decode(self, root, view.buf, view.len, 1, allow_trailing, allow_padding, NULL, NULL);
    PyBuffer_Release(&view);
    return r;
}

static PyObject *Program_validate_many(ProgramObject *self, PyObject *args) {
    long long root;
    PyObject *frames;
    if (!PyArg_ParseTuple(args, "LO", &root, &frames)) return NULL;
    PyObject *seq = PySequence_Fast(frames, "frames must be a sequence of bytes");
    if (!seq) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject *out = PyList_New(n);
    if (!out) {
        Py_DECREF(seq);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_buffer view;
        if (PyObject_GetBuffer(PySequence_Fast_GET_ITEM(seq, i), &view, PyBUF_SIMPLE)) {
            Py_DECREF(out);
            Py_DECREF(seq);
            return NULL;
        }
        PyObject *r = run_decode(self, root, view.buf, view.len, 0, 0, 0, NULL, NULL);
        PyBuffer_Release(&view);
        if (!r) {
            Py_DECREF(out);
            Py_DECREF(seq);
            return NULL;
        }
        PyList_SET_ITEM(out, i, r);
    }
    Py_DECREF(seq);
    return out;
}

/* extract(root, data, mask) -> (validate() result, [(path, value), ...]): values only of the selected edges */
static PyObject *Program_extract(ProgramObject *self, PyObject *args) {
    long long root;
    Py_buffer view, mask;
    if (!PyArg_ParseTuple(args, "Ly*y*", &root, &view, &mask)) return NULL;
    if (mask.len != self->nedges) {
        PyBuffer_Release(&view);
        PyBuffer_Release(&mask);
        PyErr_SetString(PyExc_ValueError, "the selection mask must have one byte per edge");
        return NULL;
    }
    PyObject *captures = PyList_New(0);
    PyObject *r = captures ? run_decode(self, root, view.buf, view.len, 0, 0, 0, mask.buf, captures) : NULL;
    PyBuffer_Release(&view);
    PyBuffer_Release(&mask);
    if (!r) {
        Py_XDECREF(captures);
        return NULL;
    }
    return Py_BuildValue("(NN)", r, captures);
}

/* count_valid(root, frames) -> number of frames that are valid (no Python objects per frame: for throughput) */
static PyObject *Program_count_valid(ProgramObject *self, PyObject *args) {
    long long root;
    PyObject *frames;
    if (!PyArg_ParseTuple(args, "LO", &root, &frames)) return NULL;
    if (root < 0 || root >= self->nnodes) {
        PyErr_SetString(PyExc_IndexError, "no such root node");
        return NULL;
    }
    PyObject *seq = PySequence_Fast(frames, "frames must be a sequence of bytes");
    if (!seq) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq), valid = 0;
    ctx_t *c = PyMem_Malloc(sizeof(ctx_t));
    if (!c) {
        Py_DECREF(seq);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
        if (!PyBytes_Check(item)) {
            PyMem_Free(c);
            Py_DECREF(seq);
            PyErr_SetString(PyExc_TypeError, "count_valid takes a sequence of bytes");
            return NULL;
        }
        Py_ssize_t len = PyBytes_GET_SIZE(item);
        if (len == 0) continue;
        c->p = self;
        c->buf = (const uint8_t *)PyBytes_AS_STRING(item);
        c->nbytes = len;
        c->pos = 0;
        c->end = 8 * (int64_t)len;
        c->build = 0;
        c->depth = 0;
        c->failed = c->pyerr = c->has_c = c->has_o = 0;
        c->last_int_ok = 0;
        c->items = 0;
        c->next_edge = -1;
        c->capture = NULL;
        c->captures = NULL;
        dec(c, root, NULL);
        if (c->pyerr) {
            PyMem_Free(c);
            Py_DECREF(seq);
            return NULL;
        }
        err_t *verdict;
        finish(c, 0, len, 0, 0, &verdict);
        if (!verdict) valid++;
    }
    PyMem_Free(c);
    Py_DECREF(seq);
    return PyLong_FromSsize_t(valid);
}

/* ------------------------------------------------------------------------------------------------ encoder */

typedef struct {
    uint8_t *buf;
    int64_t cap; /* bytes */
    int64_t pos; /* bits */
} wr_t;

typedef struct {
    ProgramObject *p;
    int depth;
    int64_t path[MAXD];
    err_t err;
    int failed;
    int pyerr;
} ectx_t;

static int efail(ectx_t *c, int code, int64_t d1) {
    if (!c->failed) {
        c->err.code = code;
        c->err.bit = -1;
        c->err.depth = c->depth;
        memcpy(c->err.path, c->path, sizeof(int64_t) * (size_t)c->depth);
        c->err.d1 = d1;
        c->err.d2 = 0;
        c->err.inner_type = -1;
        c->err.d3 = -1;
        c->err.inner_len = 0;
        c->failed = 1;
    }
    return -1;
}

static int epyfail(ectx_t *c) {
    c->pyerr = 1;
    c->failed = 1;
    return -1;
}

static int wgrow(ectx_t *c, wr_t *w, int64_t bits) {
    int64_t need = (w->pos + bits + 7) / 8 + 8;
    if (need <= w->cap) return 0;
    int64_t cap = w->cap ? w->cap : 64;
    while (cap < need) cap *= 2;
    uint8_t *grown = PyMem_Realloc(w->buf, (size_t)cap);
    if (!grown) {
        PyErr_NoMemory();
        return epyfail(c);
    }
    memset(grown + w->cap, 0, (size_t)(cap - w->cap));
    w->buf = grown;
    w->cap = cap;
    return 0;
}

static int put(ectx_t *c, wr_t *w, int n, uint64_t v) {
    if (n == 0) return 0;
    if (wgrow(c, w, n)) return -1;
    for (int i = n - 1; i >= 0; i--) {
        if ((v >> i) & 1) w->buf[w->pos >> 3] |= (uint8_t)(0x80 >> (w->pos & 7));
        w->pos++;
    }
    return 0;
}

static int put_bits(ectx_t *c, wr_t *w, const uint8_t *src, int64_t nbits) {
    if (wgrow(c, w, nbits)) return -1;
    if ((w->pos & 7) == 0) {
        memcpy(w->buf + (w->pos >> 3), src, (size_t)(nbits / 8));
        w->pos += (nbits / 8) * 8;
        for (int64_t k = (nbits / 8) * 8; k < nbits; k++, w->pos++)
            if ((src[k >> 3] >> (7 - (k & 7))) & 1) w->buf[w->pos >> 3] |= (uint8_t)(0x80 >> (w->pos & 7));
        return 0;
    }
    for (int64_t k = 0; k < nbits; k++, w->pos++)
        if ((src[k >> 3] >> (7 - (k & 7))) & 1) w->buf[w->pos >> 3] |= (uint8_t)(0x80 >> (w->pos & 7));
    return 0;
}

/* general length determinant for a count (X.691 11.9.3.5-8): returns how many items this part covers; the caller
 * loops until a part under 16384 has been written */
static int put_len_part(ectx_t *c, wr_t *w, int64_t remaining, int64_t *covered) {
    if (remaining < 128) {
        *covered = remaining;
        return put(c, w, 8, (uint64_t)remaining);
    }
    if (remaining < 16384) {
        *covered = remaining;
        return put(c, w, 16, 0x8000 | (uint64_t)remaining);
    }
    int64_t m = remaining / 16384;
    if (m > 4) m = 4;
    *covered = m * 16384;
    return put(c, w, 8, 0xC0 | (uint64_t)m);
}

static int put_small(ectx_t *c, wr_t *w, int64_t value) { /* X.691 11.6 */
    if (value < 64) return put(c, w, 7, (uint64_t)value);
    int64_t len = 0;
    for (uint64_t v = (uint64_t)value; v; v >>= 8) len++;
    if (put(c, w, 1, 1) || put(c, w, 8, (uint64_t)len)) return -1;
    return put(c, w, (int)(8 * len), (uint64_t)value);
}

static int put_octets_fragmented(ectx_t *c, wr_t *w, const uint8_t *data, int64_t n) {
    int64_t done = 0, covered;
    for (;;) {
        if (put_len_part(c, w, n - done, &covered)) return -1;
        if (put_bits(c, w, data + done, 8 * covered)) return -1;
        done += covered;
        if (covered < 16384) return 0;
    }
}

static int enc(ectx_t *c, wr_t *w, int64_t ni, PyObject *value);

static int epush(ectx_t *c, int64_t element) {
    if (c->depth >= MAXD) return efail(c, E_DEPTH, MAXD);
    c->path[c->depth++] = element;
    return 0;
}

/* encode a child into its own complete encoding (X.691 11.1: an empty encoding becomes one zero octet) and write
 * it as an open type (length determinant + octets) */
static int enc_open(ectx_t *c, wr_t *w, int64_t ni, PyObject *value) {
    wr_t sub = {NULL, 0, 0};
    if (enc(c, &sub, ni, value)) {
        PyMem_Free(sub.buf);
        return -1;
    }
    int64_t n = (sub.pos + 7) / 8;
    if (n == 0) {
        if (wgrow(c, &sub, 8)) {
            PyMem_Free(sub.buf);
            return -1;
        }
        n = 1;
    }
    int r = put_octets_fragmented(c, w, sub.buf, n);
    PyMem_Free(sub.buf);
    return r;
}

static int size_ok_checker(int64_t *nd, int64_t n) {
    return !(((nd[W_FLAGS] & F_CHECK_HI) && n > nd[W_CMAX]) || ((nd[W_FLAGS] & F_CHECK_LO) && n < nd[W_CMIN]));
}

/* write the count of a size-constrained type; *form: 0 root (items follow), 1 general length (fragmented) */
static int put_count(ectx_t *c, wr_t *w, int64_t *nd, int64_t n, int *general) {
    int64_t f = nd[W_FLAGS];
    if (!size_ok_checker(nd, n)) return efail(c, E_RANGE, n);
    int in_root = (f & F_BOUNDED) && n >= nd[W_LB] && n <= nd[W_UB];
    *general = 0;
    if (f & F_EXT) {
        if (put(c, w, 1, in_root ? 0 : 1)) return -1;
        if (!in_root) {
            *general = 1;
            return 0;
        }
    } else if ((f & F_BOUNDED) && !in_root) {
        return efail(c, E_RANGE, n);
    }
    if (!(f & F_BOUNDED)) {
        *general = 1;
        return 0;
    }
    if (nd[W_LB] != nd[W_UB]) return put(c, w, (int)nd[W_NBITS], (uint64_t)(n - nd[W_LB]));
    return 0;
}

static int edge_index(ProgramObject *p, int64_t first, int64_t count, PyObject *name) {
    for (int64_t i = 0; i < count; i++) {
        PyObject *s = PyTuple_GET_ITEM(p->strings, EDGE(p, first + i)[0]);
        if (s == name) return (int)i;
    }
    for (int64_t i = 0; i < count; i++) {
        PyObject *s = PyTuple_GET_ITEM(p->strings, EDGE(p, first + i)[0]);
        int eq = PyUnicode_Compare(s, name);
        if (eq == 0) return (int)i;
        if (eq == -1 && PyErr_Occurred()) {
            PyErr_Clear();
            return -1;
        }
    }
    return -1;
}

static int enc_open_member(ectx_t *c, wr_t *w, int64_t *container, int64_t *child, PyObject *dict, PyObject *value) {
    ProgramObject *p = c->p;
    int r = PyObject_IsInstance(value, p->open_class);
    if (r < 0) return epyfail(c);
    if (!r) return -2; /* plain octets */
    int64_t *b = p->bind + container[W_OPEN];
    PyObject *key_obj = PyDict_GetItem(dict, PyTuple_GET_ITEM(p->strings, EDGE(p, container[W_A] + b[0])[0]));
    if (!key_obj || !PyLong_Check(key_obj)) return efail(c, E_TYPE, 0);
    int overflow;
    long long key = PyLong_AsLongLongAndOverflow(key_obj, &overflow);
    if (overflow) return efail(c, E_TYPE, 0);
    PyObject *type_name = PyObject_GetAttrString(value, "type_name");
    PyObject *inner = type_name ? PyObject_GetAttrString(value, "value") : NULL;
    if (!inner) {
        Py_XDECREF(type_name);
        return epyfail(c);
    }
    int64_t root = -1;
    for (int64_t i = 0; i < b[2]; i++) {
        if (b[3 + 3 * i] == key) {
            if (PyUnicode_Compare(type_name, PyTuple_GET_ITEM(p->strings, b[3 + 3 * i + 2])) == 0)
                root = b[3 + 3 * i + 1];
            break;
        }
    }
    Py_DECREF(type_name);
    if (root < 0) {
        Py_DECREF(inner);
        if (PyErr_Occurred()) PyErr_Clear();
        return efail(c, E_TYPE, key);
    }
    wr_t sub = {NULL, 0, 0};
    int saved_depth = c->depth;
    r = enc(c, &sub, root, inner);
    Py_DECREF(inner);
    c->depth = saved_depth;
    if (r) {
        PyMem_Free(sub.buf);
        return -1;
    }
    int64_t n = (sub.pos + 7) / 8;
    if (n == 0) n = 1, wgrow(c, &sub, 8);
    /* the value member is an OCTET STRING holding the inner encoding */
    int general;
    if (put_count(c, w, child, n, &general)) {
        PyMem_Free(sub.buf);
        return -1;
    }
    r = general ? put_octets_fragmented(c, w, sub.buf, n) : put_bits(c, w, sub.buf, 8 * n);
    PyMem_Free(sub.buf);
    return r;
}

static int enc_seq(ectx_t *c, wr_t *w, int64_t *nd, PyObject *value) {
    ProgramObject *p = c->p;
    if (!PyDict_Check(value)) return efail(c, E_TYPE, 0);
    Py_ssize_t matched = 0;
    int64_t ext_pos = w->pos;
    int any_addition = 0;
    for (int64_t i = 0; i < nd[W_BCOUNT]; i++) {
        if (PyDict_GetItem(value, PyTuple_GET_ITEM(p->strings, EDGE(p, nd[W_B] + i)[0]))) any_addition = 1;
    }
    if (nd[W_FLAGS] & F_EXT) {
        if (put(c, w, 1, any_addition)) return -1;
    }
    (void)ext_pos;
    /* presence bitmap (X.691 19.2-19.3); a DEFAULT member equal to its default is left out (19.5, canonical) */
    for (int64_t i = 0; i < nd[W_ACOUNT]; i++) {
        int64_t *edge = EDGE(p, nd[W_A] + i);
        if (!edge[2]) continue;
        PyObject *member = PyDict_GetItem(value, PyTuple_GET_ITEM(p->strings, edge[0]));
        int present = member != NULL;
        if (present && edge[3] >= 0) {
            int eq = PyObject_RichCompareBool(member, PyTuple_GET_ITEM(p->defaults, edge[3]), Py_EQ);
            if (eq < 0) return epyfail(c);
            present = !eq;
        }
        if (put(c, w, 1, present)) return -1;
    }
    for (int64_t i = 0; i < nd[W_ACOUNT]; i++) {
        int64_t *edge = EDGE(p, nd[W_A] + i);
        PyObject *member = PyDict_GetItem(value, PyTuple_GET_ITEM(p->strings, edge[0]));
        if (!member) {
            if (edge[2]) continue;
            return efail(c, E_TYPE, 1);
        }
        matched++;
        if (edge[3] >= 0) {
            int eq = PyObject_RichCompareBool(member, PyTuple_GET_ITEM(p->defaults, edge[3]), Py_EQ);
            if (eq < 0) return epyfail(c);
            if (eq) continue;
        }
        if (epush(c, edge[0])) return -1;
        int r = -2;
        if (nd[W_OPEN] >= 0 && i == p->bind[nd[W_OPEN] + 1])
            r = enc_open_member(c, w, nd, NODE(p, edge[1]), value, member);
        if (r == -2) r = enc(c, w, edge[1], member);
        if (r) return -1;
        c->depth--;
    }
    if (any_addition) {
        int64_t n = nd[W_BCOUNT];
        if (n <= 64) {
            if (put(c, w, 7, (uint64_t)(n - 1))) return -1;
        } else {
            int64_t covered;
            if (put(c, w, 1, 1) || put_len_part(c, w, n, &covered)) return -1;
        }
        for (int64_t i = 0; i < n; i++)
            if (put(c, w, 1, PyDict_GetItem(value, PyTuple_GET_ITEM(p->strings, EDGE(p, nd[W_B] + i)[0])) != NULL))
                return -1;
        for (int64_t i = 0; i < n; i++) {
            int64_t *edge = EDGE(p, nd[W_B] + i);
            PyObject *member = PyDict_GetItem(value, PyTuple_GET_ITEM(p->strings, edge[0]));
            if (!member) continue;
            matched++;
            if (epush(c, edge[0]) || enc_open(c, w, edge[1], member)) return -1;
            c->depth--;
        }
    }
    if (matched != PyDict_GET_SIZE(value)) return efail(c, E_TYPE, 2); /* a member this type does not have */
    return 0;
}

static int enc_choice(ectx_t *c, wr_t *w, int64_t *nd, PyObject *value) {
    ProgramObject *p = c->p;
    if (!PyTuple_Check(value) || PyTuple_GET_SIZE(value) != 2 || !PyUnicode_Check(PyTuple_GET_ITEM(value, 0)))
        return efail(c, E_TYPE, 0);
    PyObject *name = PyTuple_GET_ITEM(value, 0), *inner = PyTuple_GET_ITEM(value, 1);
    int i = edge_index(p, nd[W_A], nd[W_ACOUNT], name);
    if (i >= 0) {
        if ((nd[W_FLAGS] & F_EXT) && put(c, w, 1, 0)) return -1;
        if (put(c, w, (int)nd[W_NBITS], (uint64_t)i)) return -1;
        int64_t *edge = EDGE(p, nd[W_A] + i);
        if (epush(c, edge[0]) || enc(c, w, edge[1], inner)) return -1;
        c->depth--;
        return 0;
    }
    i = edge_index(p, nd[W_B], nd[W_BCOUNT], name);
    if (i < 0) return efail(c, E_TYPE, 3);
    int64_t *edge = EDGE(p, nd[W_B] + i);
    if (put(c, w, 1, 1) || put_small(c, w, i)) return -1;
    if (epush(c, edge[0]) || enc_open(c, w, edge[1], inner)) return -1;
    c->depth--;
    return 0;
}

static int put_unconstrained(ectx_t *c, wr_t *w, PyObject *value) { /* X.691 12.2.6: minimal two's complement */
    int64_t nbits = (int64_t)_PyLong_NumBits(value);
    if (nbits < 0) return epyfail(c);
    int64_t n = nbits / 8 + 1; /* one more bit for the sign, rounded up to octets */
    uint8_t *tmp = PyMem_Malloc((size_t)n);
    if (!tmp) {
        PyErr_NoMemory();
        return epyfail(c);
    }
    if (_PyLong_AsByteArray((PyLongObject *)value, tmp, (size_t)n, 0, 1)) {
        PyMem_Free(tmp);
        return epyfail(c);
    }
    /* drop redundant sign octets */
    int64_t s = 0;
    while (s < n - 1 && ((tmp[s] == 0x00 && !(tmp[s + 1] & 0x80)) || (tmp[s] == 0xFF && (tmp[s + 1] & 0x80)))) s++;
    int r = put_octets_fragmented(c, w, tmp + s, n - s);
    PyMem_Free(tmp);
    return r;
}

static int enc_int(ectx_t *c, wr_t *w, int64_t *nd, PyObject *value) {
    if (!PyLong_Check(value) || PyBool_Check(value)) return efail(c, E_TYPE, 0);
    int overflow;
    long long v = PyLong_AsLongLongAndOverflow(value, &overflow);
    if (v == -1 && PyErr_Occurred()) return epyfail(c);
    int64_t f = nd[W_FLAGS];
    if (overflow) {
        if ((f & (F_CHECK_HI | F_CHECK_LO)) || ((f & F_BOUNDED) && !(f & F_EXT))) return efail(c, E_RANGE, 0);
        if ((f & F_EXT) && put(c, w, 1, 1)) return -1;
        return put_unconstrained(c, w, value);
    }
    if (((f & F_CHECK_HI) && v > nd[W_CMAX]) || ((f & F_CHECK_LO) && v < nd[W_CMIN])) return efail(c, E_RANGE, v);
    int in_root = (f & F_BOUNDED) && v >= nd[W_LB] && v <= nd[W_UB];
    if (f & F_EXT) {
        if (put(c, w, 1, in_root ? 0 : 1)) return -1;
        if (!in_root) return put_unconstrained(c, w, value);
    }
    if (f & F_BOUNDED) {
        if (!in_root) return efail(c, E_RANGE, v);
        return put(c, w, (int)nd[W_NBITS], (uint64_t)((__int128)v - nd[W_LB]));
    }
    if ((f & F_SEMI) && !(f & F_EXT)) { /* X.691 13.2.3, 11.7: value - lb in the fewest octets, after its length */
        if (v < nd[W_LB]) return efail(c, E_RANGE, v);
        uint64_t offset = (uint64_t)((__int128)v - nd[W_LB]);
        int octets = 1;
        while (octets < 8 && (offset >> (8 * octets))) octets++;
        return put(c, w, 8, (uint64_t)octets) || put(c, w, 8 * octets, offset) ? -1 : 0;
    }
    return put_unconstrained(c, w, value);
}

static int enc_enum(ectx_t *c, wr_t *w, int64_t *nd, PyObject *value) {
    ProgramObject *p = c->p;
    if (!PyUnicode_Check(value)) return efail(c, E_TYPE, 0);
    for (int64_t i = 0; i < nd[W_ACOUNT]; i++) {
        if (PyUnicode_Compare(PyTuple_GET_ITEM(p->strings, nd[W_A] + i), value) == 0) {
            if ((nd[W_FLAGS] & F_EXT) && put(c, w, 1, 0)) return -1;
            return put(c, w, (int)nd[W_NBITS], (uint64_t)i);
        }
    }
    for (int64_t i = 0; i < nd[W_BCOUNT]; i++) {
        if (PyUnicode_Compare(PyTuple_GET_ITEM(p->strings, nd[W_B] + i), value) == 0)
            return put(c, w, 1, 1) || put_small(c, w, i) ? -1 : 0;
    }
    if (PyErr_Occurred()) PyErr_Clear();
    return efail(c, E_TYPE, 4);
}

static int enc_bits(ectx_t *c, wr_t *w, int64_t *nd, PyObject *value) {
    if (!PyTuple_Check(value) || PyTuple_GET_SIZE(value) != 2 || !PyBytes_Check(PyTuple_GET_ITEM(value, 0)) ||
        !PyLong_Check(PyTuple_GET_ITEM(value, 1)))
        return efail(c, E_TYPE, 0);
    const uint8_t *data = (const uint8_t *)PyBytes_AS_STRING(PyTuple_GET_ITEM(value, 0));
    Py_ssize_t size = PyBytes_GET_SIZE(PyTuple_GET_ITEM(value, 0));
    long long n = PyLong_AsLongLong(PyTuple_GET_ITEM(value, 1));
    if (n < 0 || (n == -1 && PyErr_Occurred())) {
        PyErr_Clear();
        return efail(c, E_TYPE, 0);
    }
    if ((n + 7) / 8 > size) return efail(c, E_TYPE, 5);
    if (!size_ok_checker(nd, n)) return efail(c, E_RANGE, n);
    int64_t bits = n;
    if (nd[W_FLAGS] & F_NAMED) { /* X.691 16.2: trailing zero bits removed, down to the lower bound */
        while (bits > 0 && !((data[(bits - 1) >> 3] >> (7 - ((bits - 1) & 7))) & 1)) bits--;
        if ((nd[W_FLAGS] & F_BOUNDED) && bits < nd[W_LB]) bits = nd[W_LB];
    }
    uint8_t *padded = NULL;
    if ((bits + 7) / 8 > size) { /* named bits padded back up to the lower bound */
        padded = PyMem_Calloc((size_t)((bits + 7) / 8), 1);
        if (!padded) {
            PyErr_NoMemory();
            return epyfail(c);
        }
        memcpy(padded, data, (size_t)size);
        data = padded;
    }
    int general, r;
    if (put_count(c, w, nd, bits, &general)) {
        PyMem_Free(padded);
        return -1;
    }
    if (!general) {
        r = put_bits(c, w, data, bits);
    } else {
        int64_t done = 0, covered;
        r = 0;
        for (;;) {
            if (put_len_part(c, w, bits - done, &covered)) {
                r = -1;
                break;
            }
            /* fragments of a BIT STRING are multiples of 16K bits, so they start on octet boundaries */
            if (put_bits(c, w, data + done / 8, covered)) {
                r = -1;
                break;
            }
            done += covered;
            if (covered < 16384) break;
        }
    }
    PyMem_Free(padded);
    return r;
}

static int enc_octets(ectx_t *c, wr_t *w, int64_t *nd, PyObject *value) {
    if (!PyBytes_Check(value)) return efail(c, E_TYPE, 0);
    int64_t n = PyBytes_GET_SIZE(value);
    int general;
    if (put_count(c, w, nd, n, &general)) return -1;
    const uint8_t *data = (const uint8_t *)PyBytes_AS_STRING(value);
    return general ? put_octets_fragmented(c, w, data, n) : put_bits(c, w, data, 8 * n);
}

static int enc_kmstr(ectx_t *c, wr_t *w, int64_t *nd, PyObject *value) {
    if (!PyUnicode_Check(value)) return efail(c, E_TYPE, 0);
    Py_ssize_t n = PyUnicode_GET_LENGTH(value);
    const int64_t *alpha = c->p->alpha + nd[W_A];
    int64_t asize = nd[W_AUX];
    int bpc = (int)nd[W_NOPT];
    int kind = PyUnicode_KIND(value);
    const void *data = PyUnicode_DATA(value);
    int general;
    if (put_count(c, w, nd, n, &general)) return -1;
    Py_ssize_t done = 0;
    for (;;) {
        int64_t covered = n - done;
        if (general && put_len_part(c, w, n - done, &covered)) return -1;
        for (Py_ssize_t i = done; i < done + covered; i++) {
            Py_UCS4 ch = PyUnicode_READ(kind, data, i);
            int64_t index = -1;
            for (int64_t k = 0; k < asize; k++) {
                if ((alpha[k] & 0xFFFF) == (int64_t)ch && !(alpha[k] >> 32)) {
                    index = k;
                    break;
                }
            }
            if (index < 0) return efail(c, E_RANGE, (int64_t)ch);
            if (put(c, w, bpc, (uint64_t)index)) return -1;
        }
        done += covered;
        if (!general || covered < 16384) return 0;
    }
}

static int enc_utf8(ectx_t *c, wr_t *w, int64_t *nd, PyObject *value) {
    if (!PyUnicode_Check(value)) return efail(c, E_TYPE, 0);
    if (!size_ok_checker(nd, PyUnicode_GET_LENGTH(value))) return efail(c, E_RANGE, PyUnicode_GET_LENGTH(value));
    Py_ssize_t n;
    const char *utf8 = PyUnicode_AsUTF8AndSize(value, &n);
    if (!utf8) {
        PyErr_Clear();
        return efail(c, E_TYPE, 6);
    }
    return put_octets_fragmented(c, w, (const uint8_t *)utf8, n);
}

static int enc_seqof(ectx_t *c, wr_t *w, int64_t *nd, PyObject *value) {
    if (!PyList_Check(value)) return efail(c, E_TYPE, 0);
    Py_ssize_t n = PyList_GET_SIZE(value);
    int general;
    if (put_count(c, w, nd, n, &general)) return -1;
    Py_ssize_t done = 0;
    for (;;) {
        int64_t covered = n - done;
        if (general && put_len_part(c, w, n - done, &covered)) return -1;
        for (Py_ssize_t i = done; i < done + covered; i++) {
            if (epush(c, -(int64_t)i - 1) || enc(c, w, nd[W_A], PyList_GET_ITEM(value, i))) return -1;
            c->depth--;
        }
        done += covered;
        if (!general || covered < 16384) return 0;
    }
}

static int enc(ectx_t *c, wr_t *w, int64_t ni, PyObject *value) {
    int64_t *nd = NODE(c->p, ni);
    switch ((int)nd[W_KIND]) {
    case K_SEQ:
        return enc_seq(c, w, nd, value);
    case K_SEQOF:
        return enc_seqof(c, w, nd, value);
    case K_CHOICE:
        return enc_choice(c, w, nd, value);
    case K_INT:
        return enc_int(c, w, nd, value);
    case K_ENUM:
        return enc_enum(c, w, nd, value);
    case K_BOOL:
        if (value != Py_True && value != Py_False) return efail(c, E_TYPE, 0);
        return put(c, w, 1, value == Py_True);
    case K_NULL:
        if (value != Py_None) return efail(c, E_TYPE, 0);
        return 0;
    case K_BITS:
        return enc_bits(c, w, nd, value);
    case K_OCTETS:
        return enc_octets(c, w, nd, value);
    case K_KMSTR:
        return enc_kmstr(c, w, nd, value);
    case K_UTF8:
        return enc_utf8(c, w, nd, value);
    }
    return efail(c, E_TYPE, 99);
}

/* encode(root, value) -> bytes, or (code, path, detail) when the value cannot be encoded */
static PyObject *Program_encode(ProgramObject *self, PyObject *args) {
    long long root;
    PyObject *value;
    if (!PyArg_ParseTuple(args, "LO", &root, &value)) return NULL;
    if (root < 0 || root >= self->nnodes) {
        PyErr_SetString(PyExc_IndexError, "no such root node");
        return NULL;
    }
    ectx_t *c = PyMem_Calloc(1, sizeof(ectx_t));
    if (!c) return PyErr_NoMemory();
    c->p = self;
    wr_t w = {NULL, 0, 0};
    int r = enc(c, &w, root, value);
    PyObject *out;
    if (c->pyerr) {
        out = NULL;
    } else if (r) {
        PyObject *path = path_tuple(self, &c->err);
        out = path ? Py_BuildValue("(iNL)", c->err.code, path, (long long)c->err.d1) : NULL;
    } else {
        int64_t n = (w.pos + 7) / 8;
        if (n == 0) { /* X.691 11.1: an empty complete encoding is one zero octet */
            out = PyBytes_FromStringAndSize("\0", 1);
        } else {
            out = PyBytes_FromStringAndSize((const char *)w.buf, n);
        }
    }
    PyMem_Free(w.buf);
    PyMem_Free(c);
    return out;
}

/* ------------------------------------------------------------------------------------------------ type */

static int check_tables(ProgramObject *p) {
    Py_ssize_t nstr = PyTuple_GET_SIZE(p->strings), ndef = PyTuple_GET_SIZE(p->defaults);
    for (Py_ssize_t i = 0; i < p->nedges; i++) {
        int64_t *e = EDGE(p, i);
        if (e[0] < 0 || e[0] >= nstr || e[1] < 0 || e[1] >= p->nnodes || e[3] >= ndef) return -1;
    }
    for (Py_ssize_t i = 0; i < p->nnodes; i++) {
        int64_t *nd = NODE(p, i);
        switch ((int)nd[W_KIND]) {
        case K_SEQ:
        case K_CHOICE:
            if (nd[W_A] < 0 || nd[W_ACOUNT] < 0 || nd[W_A] + nd[W_ACOUNT] > p->nedges) return -1;
            if (nd[W_B] < 0 || nd[W_BCOUNT] < 0 || nd[W_B] + nd[W_BCOUNT] > p->nedges) return -1;
            if (nd[W_NBITS] < 0 || nd[W_NBITS] > 63) return -1;
            break;
        case K_ENUM:
            if (nd[W_A] < 0 || nd[W_A] + nd[W_ACOUNT] > nstr || nd[W_B] < 0 || nd[W_B] + nd[W_BCOUNT] > nstr) return -1;
            if (nd[W_NBITS] < 0 || nd[W_NBITS] > 63) return -1;
            break;
        case K_SEQOF:
            if (nd[W_A] < 0 || nd[W_A] >= p->nnodes) return -1;
            /* fall through */
        case K_INT:
        case K_BITS:
        case K_OCTETS:
            if (nd[W_NBITS] < 0 || nd[W_NBITS] > 64) return -1;
            break;
        case K_KMSTR:
            if (nd[W_A] < 0 || nd[W_A] + nd[W_AUX] > p->nalpha || nd[W_NOPT] < 0 || nd[W_NOPT] > 32) return -1;
            if (nd[W_NBITS] < 0 || nd[W_NBITS] > 64) return -1;
            break;
        case K_BOOL:
        case K_NULL:
        case K_UTF8:
            break;
        default:
            return -1;
        }
        if (nd[W_OPEN] >= 0) {
            if (nd[W_KIND] != K_SEQ || nd[W_OPEN] + 3 > p->nbind) return -1;
            int64_t *b = p->bind + nd[W_OPEN];
            if (b[0] < 0 || b[0] >= nd[W_ACOUNT] || b[1] < 0 || b[1] >= nd[W_ACOUNT] || b[2] < 0 ||
                nd[W_OPEN] + 3 + 3 * b[2] > p->nbind)
                return -1;
            for (int64_t k = 0; k < b[2]; k++)
                if (b[3 + 3 * k + 1] < 0 || b[3 + 3 * k + 1] >= p->nnodes || b[3 + 3 * k + 2] < 0 ||
                    b[3 + 3 * k + 2] >= nstr)
                    return -1;
        }
    }
    return 0;
}

static int64_t *copy_words(PyObject *bytes, Py_ssize_t words_per_row, Py_ssize_t *rows) {
    Py_buffer view;
    if (PyObject_GetBuffer(bytes, &view, PyBUF_SIMPLE)) return NULL;
    if (view.len % (Py_ssize_t)(sizeof(int64_t) * words_per_row)) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "native UPER program: table size is not a whole number of rows");
        return NULL;
    }
    int64_t *copy = PyMem_Malloc(view.len ? (size_t)view.len : 1);
    if (!copy) {
        PyBuffer_Release(&view);
        PyErr_NoMemory();
        return NULL;
    }
    memcpy(copy, view.buf, (size_t)view.len);
    *rows = view.len / (Py_ssize_t)(sizeof(int64_t) * words_per_row);
    PyBuffer_Release(&view);
    return copy;
}

static void Program_dealloc(ProgramObject *self) {
    PyMem_Free(self->nodes);
    PyMem_Free(self->edges);
    PyMem_Free(self->alpha);
    PyMem_Free(self->bind);
    Py_XDECREF(self->strings);
    Py_XDECREF(self->defaults);
    Py_XDECREF(self->open_value);
    Py_XDECREF(self->open_class);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int Program_init(ProgramObject *self, PyObject *args, PyObject *kwds) {
    PyObject *nodes, *edges, *alpha, *bind, *strings, *defaults, *open_value, *open_class;
    static char *kwlist[] = {"nodes", "edges", "alphabets", "bindings", "strings", "defaults", "open_value",
                             "open_class", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOOO!O!OO", kwlist, &nodes, &edges, &alpha, &bind, &PyTuple_Type,
                                     &strings, &PyTuple_Type, &defaults, &open_value, &open_class))
        return -1;
    if (self->nodes) {
        PyErr_SetString(PyExc_RuntimeError, "a native UPER program is initialised once");
        return -1;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(strings); i++) {
        if (!PyUnicode_Check(PyTuple_GET_ITEM(strings, i))) {
            PyErr_SetString(PyExc_TypeError, "strings must be a tuple of str");
            return -1;
        }
    }
    if (!(self->nodes = copy_words(nodes, NW, &self->nnodes))) return -1;
    if (!(self->edges = copy_words(edges, EW, &self->nedges))) return -1;
    if (!(self->alpha = copy_words(alpha, 1, &self->nalpha))) return -1;
    if (!(self->bind = copy_words(bind, 1, &self->nbind))) return -1;
    Py_INCREF(strings);
    self->strings = strings;
    Py_INCREF(defaults);
    self->defaults = defaults;
    Py_INCREF(open_value);
    self->open_value = open_value;
    Py_INCREF(open_class);
    self->open_class = open_class;
    if (check_tables(self)) {
        PyErr_SetString(PyExc_ValueError, "native UPER program: a table index is out of range");
        return -1;
    }
    return 0;
}

static PyMethodDef Program_methods[] = {
    {"validate", (PyCFunction)Program_validate, METH_VARARGS,
     "validate(root, data) -> (code, bit, path, (d1, d2, d3), bits, (inner type, octets) or None, None)"},
    {"validate_many", (PyCFunction)Program_validate_many, METH_VARARGS,
     "validate_many(root, frames) -> list of validate() results"},
    {"extract", (PyCFunction)Program_extract, METH_VARARGS,
     "extract(root, data, mask) -> (validate() result, [(path, value), ...]) for the edges selected in mask"},
    {"count_valid", (PyCFunction)Program_count_valid, METH_VARARGS,
     "count_valid(root, frames) -> number of valid frames"},
    {"decode", (PyCFunction)Program_decode, METH_VARARGS,
     "decode(root, data, allow_trailing=False, allow_padding=False) -> as validate(), with the value last"},
    {"encode", (PyCFunction)Program_encode, METH_VARARGS, "encode(root, value) -> bytes | (code, path, detail)"},
    {NULL, NULL, 0, NULL}};

static PyTypeObject ProgramType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "conformance.codec.native._uper.Program",
    .tp_basicsize = sizeof(ProgramObject),
    .tp_dealloc = (destructor)Program_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A compiled edition: node tables interpreted by the native UPER engine.",
    .tp_methods = Program_methods,
    .tp_init = (initproc)Program_init,
    .tp_new = PyType_GenericNew,
};

static struct PyModuleDef moduledef = {PyModuleDef_HEAD_INIT, "_uper",
                                       "Native UPER engine of v2x-conformance (interprets compiled node tables).", -1,
                                       NULL, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__uper(void) {
    if (PyType_Ready(&ProgramType) < 0) return NULL;
    PyObject *m = PyModule_Create(&moduledef);
    if (!m) return NULL;
    Py_INCREF(&ProgramType);
    if (PyModule_AddObject(m, "Program", (PyObject *)&ProgramType) < 0) {
        Py_DECREF(&ProgramType);
        Py_DECREF(m);
        return NULL;
    }
    PyModule_AddIntConstant(m, "ABI", 1);
    return m;
}
