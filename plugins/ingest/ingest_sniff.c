/*
 * ingest_sniff.c - is a dropped file a video container? Decided from its
 * name and its first bytes only: the API process never decodes media from
 * outside (the pipeline's probe does, in a worker process). This only keeps
 * documents, images and stray files out of the clips table; a file with a
 * container's magic that is broken inside is caught by probe.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ingest.h"

typedef enum family {
	F_NONE = 0,
	F_ISOBMFF, /* MP4, QuickTime, 3GP */
	F_EBML,	   /* Matroska, WebM */
	F_TS,	   /* MPEG transport stream (also 192-byte M2TS) */
	F_PS,	   /* MPEG program stream / elementary video */
	F_AVI,
	F_MXF,
	F_R3D,
} family;

/* The extensions editing bays produce, and the content type each names
 * when its container agrees. */
static const struct ext {
	const char *ext;
	family fam;
	const char *type;
} exts[] = {
    {"mp4", F_ISOBMFF, "video/mp4"},
    {"m4v", F_ISOBMFF, "video/mp4"},
    {"mov", F_ISOBMFF, "video/quicktime"},
    {"qt", F_ISOBMFF, "video/quicktime"},
    {"3gp", F_ISOBMFF, "video/3gpp"},
    {"3g2", F_ISOBMFF, "video/3gpp2"},
    {"braw", F_ISOBMFF, "video/quicktime"},
    {"mkv", F_EBML, "video/x-matroska"},
    {"webm", F_EBML, "video/webm"},
    {"ts", F_TS, "video/mp2t"},
    {"m2ts", F_TS, "video/mp2t"},
    {"mts", F_TS, "video/mp2t"},
    {"mpg", F_PS, "video/mpeg"},
    {"mpeg", F_PS, "video/mpeg"},
    {"m2v", F_PS, "video/mpeg"},
    {"vob", F_PS, "video/mpeg"},
    {"avi", F_AVI, "video/x-msvideo"},
    {"mxf", F_MXF, "application/mxf"},
    {"r3d", F_R3D, "video/x-red-r3d"},
};
#define N_EXTS (sizeof(exts) / sizeof(exts[0]))

/* The content type of each family when the extension names another. */
static const char *family_type(family f)
{
	switch (f) {
	case F_ISOBMFF:
		return "video/mp4";
	case F_EBML:
		return "video/x-matroska";
	case F_TS:
		return "video/mp2t";
	case F_PS:
		return "video/mpeg";
	case F_AVI:
		return "video/x-msvideo";
	case F_MXF:
		return "application/mxf";
	case F_R3D:
		return "video/x-red-r3d";
	default:
		return NULL;
	}
}

static bool is_atom(const unsigned char *t)
{
	static const char *const atoms[] = {"ftyp", "moov", "mdat", "wide",
					    "free", "skip", "pnot", NULL};
	for (int i = 0; atoms[i]; i++)
		if (!memcmp(t, atoms[i], 4))
			return true;
	return false;
}

static bool ts_sync(const unsigned char *h, size_t len, size_t first,
		    size_t stride)
{
	/* three packets in a row: a lone 0x47 ('G') is just a letter */
	for (int i = 0; i < 3; i++) {
		size_t at = first + (size_t)i * stride;
		if (at >= len || h[at] != 0x47)
			return false;
	}
	return true;
}

static family sniff_family(const unsigned char *h, size_t len)
{
	static const unsigned char ebml[] = {0x1A, 0x45, 0xDF, 0xA3};
	static const unsigned char mxf[] = {0x06, 0x0E, 0x2B, 0x34,
					    0x02, 0x05, 0x01, 0x01};
	if (len >= 8 && is_atom(h + 4)) {
		unsigned long sz = (unsigned long)h[0] << 24 |
				   (unsigned long)h[1] << 16 |
				   (unsigned long)h[2] << 8 | h[3];
		if (sz == 0 || sz == 1 || sz >= 8)
			return F_ISOBMFF;
	}
	if (len >= 4 && !memcmp(h, ebml, 4))
		return F_EBML;
	if (ts_sync(h, len, 0, 188) || ts_sync(h, len, 4, 192))
		return F_TS;
	if (len >= 4 && h[0] == 0 && h[1] == 0 && h[2] == 1 &&
	    (h[3] == 0xBA || h[3] == 0xB3))
		return F_PS;
	if (len >= 12 && !memcmp(h, "RIFF", 4) && !memcmp(h + 8, "AVI", 3))
		return F_AVI;
	if (len >= 8 &&
	    (!memcmp(h + 4, "RED1", 4) || !memcmp(h + 4, "RED2", 4)))
		return F_R3D;
	/* MXF may start with a run-in of up to 64 KiB before its header
	 * partition pack; look for the pack key in what we have. */
	for (size_t i = 0; i + sizeof(mxf) <= len; i++)
		if (h[i] == 0x06 && !memcmp(h + i, mxf, sizeof(mxf)))
			return F_MXF;
	return F_NONE;
}

/* Whether an EBML header declares the "webm" doctype (in the header, which
 * is within the first few dozen bytes). */
static bool ebml_webm(const unsigned char *h, size_t len)
{
	size_t n = len < 64 ? len : 64;
	for (size_t i = 0; i + 4 <= n; i++)
		if (!memcmp(h + i, "webm", 4))
			return true;
	return false;
}

int ing_sniff(const char *name, const unsigned char *head, size_t len,
	      const char **content_type, char *why, size_t whylen)
{
	const char *base = strrchr(name, '/');
	base = base ? base + 1 : name;
	const char *dot = strrchr(base, '.');
	const struct ext *e = NULL;
	for (size_t i = 0; dot && i < N_EXTS && !e; i++)
		if (!strcasecmp(dot + 1, exts[i].ext))
			e = &exts[i];
	if (!e) {
		snprintf(why, whylen,
			 "not a media file: the extension %s%.20s is not a "
			 "video container's",
			 dot ? "" : "(none)", dot ? dot : "");
		return -1;
	}
	family f = sniff_family(head, len);
	if (f == F_NONE) {
		snprintf(why, whylen,
			 "not a media file: its first bytes are no known "
			 "video container (MP4/QuickTime, Matroska/WebM, "
			 "MPEG-TS/PS, AVI, MXF, R3D)%s",
			 len == 0 ? "; the file is empty" : "");
		return -1;
	}
	if (f == e->fam)
		*content_type = e->type;
	else
		*content_type = family_type(f);
	if (f == F_ISOBMFF && len >= 12 && !memcmp(head + 4, "ftyp", 4) &&
	    !memcmp(head + 8, "qt  ", 4))
		*content_type = "video/quicktime";
	if (f == F_EBML)
		*content_type =
		    ebml_webm(head, len) ? "video/webm" : "video/x-matroska";
	return 0;
}
