/*
 * ingest_path.c - what a path means to the ingest: whether to skip it
 * (temporary and system names), which episode its folders name (the
 * pattern), and which object key its content goes to.
 */
#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ingest.h"

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && !strcasecmp(s + n - k, suffix);
}

bool ing_path_ignored(const ing_config *c, const char *name)
{
	/* Copy tools and NAS software: hidden temporaries (rsync's .name.XXXX,
	 * macOS ._ files, .DS_Store), partial downloads, editor backups,
	 * Synology's @eaDir and #recycle, Windows' thumbnail cache. */
	if (name[0] == '.' || ends_with(name, ".part") ||
	    ends_with(name, "~") || !strcmp(name, "@eaDir") ||
	    !strcmp(name, "#recycle") || !strcasecmp(name, "Thumbs.db"))
		return true;
	for (size_t i = 0; i < c->n_ignore; i++)
		if (fnmatch(c->ignore[i], name, FNM_PERIOD) == 0)
			return true;
	return false;
}

bool ing_path_under(const char *rel, const char *prefix)
{
	size_t n = strlen(prefix);
	return !strncmp(rel, prefix, n) && (rel[n] == '/' || !rel[n]);
}

/* Length of the well-formed UTF-8 sequence at s (the rules PostgreSQL
 * checks: no overlong forms, no surrogates, nothing past U+10FFFF), or 0. */
static int utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	if (c < 0x80)
		return 1;
	int n = c >= 0xC2 && c <= 0xDF	 ? 2
		: c >= 0xE0 && c <= 0xEF ? 3
		: c >= 0xF0 && c <= 0xF4 ? 4
					 : 0;
	unsigned char lo = 0x80, hi = 0xBF;
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (!n || s[1] < lo || s[1] > hi)
		return 0;
	for (int i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return n;
}

void ing_text(const char *in, char *out, size_t len)
{
	size_t o = 0;
	const unsigned char *s = (const unsigned char *)in;
	while (*s && len) {
		int n = utf8_len(s);
		if (n && o + (size_t)n < len) {
			memcpy(out + o, s, (size_t)n);
			o += (size_t)n;
			s += n;
		} else if (!n && o + 4 < len) {
			snprintf(out + o, 5, "\\x%02X", *s++);
			o += 4;
		} else {
			break;
		}
	}
	if (len)
		out[o] = '\0';
}

/* ---- pattern ------------------------------------------------------------ */

typedef enum tok { T_SHOW = 1, T_SEASON, T_EPISODE } tok;

/* The placeholder starting at p, or 0; its length into *n. */
static tok placeholder(const char *p, size_t *n)
{
	static const struct {
		const char *s;
		tok t;
	} ph[] = {{"{show}", T_SHOW},
		  {"{season}", T_SEASON},
		  {"{episode}", T_EPISODE}};
	for (size_t i = 0; i < 3; i++) {
		size_t k = strlen(ph[i].s);
		if (!strncmp(p, ph[i].s, k)) {
			*n = k;
			return ph[i].t;
		}
	}
	return 0;
}

int ing_pattern_check(const char *pat, char *why, size_t whylen)
{
	int seen[4] = {0};
	tok prev = 0;
	if (!*pat || strlen(pat) > 255 || pat[0] == '/') {
		snprintf(why, whylen,
			 "must be 1 to 255 characters, relative to the folder");
		return -1;
	}
	for (const char *p = pat; *p;) {
		size_t n;
		tok t = placeholder(p, &n);
		if (t) {
			if (seen[t]++ || prev) {
				snprintf(why, whylen,
					 "each placeholder at most once, with "
					 "text between two of them");
				return -1;
			}
			prev = t;
			p += n;
			continue;
		}
		if (*p == '{' || *p == '}') {
			snprintf(why, whylen,
				 "unknown placeholder at \"%.20s\" (known: "
				 "{show}, {season}, {episode})",
				 p);
			return -1;
		}
		prev = 0;
		p++;
	}
	if (!seen[T_SHOW] || !seen[T_EPISODE]) {
		snprintf(why, whylen,
			 "must contain {show} and {episode} ({season} is "
			 "optional, 1 when absent)");
		return -1;
	}
	return 0;
}

static bool match_at(const char *p, const char *s, ing_match *m)
{
	if (!*p)
		return true; /* a prefix of the path matched */
	size_t n;
	tok t = placeholder(p, &n);
	if (t == T_SEASON || t == T_EPISODE) {
		/* digits, all of them: S01E02 never reads as episode 0 */
		size_t k = 0;
		int v = 0;
		while (s[k] >= '0' && s[k] <= '9' && k < 6)
			v = v * 10 + (s[k++] - '0');
		if (!k || (s[k] >= '0' && s[k] <= '9'))
			return false;
		*(t == T_SEASON ? &m->season : &m->episode) = v;
		return match_at(p + n, s + k, m);
	}
	if (t == T_SHOW) {
		/* the shortest name that lets the rest match */
		for (size_t k = 1; s[k - 1] && s[k - 1] != '/'; k++) {
			if (k >= sizeof(m->show))
				return false;
			if (match_at(p + n, s + k, m)) {
				memcpy(m->show, s, k);
				m->show[k] = '\0';
				return true;
			}
		}
		return false;
	}
	if (!*s || (tolower((unsigned char)*p) != tolower((unsigned char)*s)))
		return false;
	return match_at(p + 1, s + 1, m);
}

bool ing_pattern_match(const char *pattern, const char *rel, ing_match *m)
{
	memset(m, 0, sizeof(*m));
	m->season = 1;
	return pattern && match_at(pattern, rel, m);
}

/* ---- object keys -------------------------------------------------------- */

int ing_object_key(char *out, size_t len, const char *episode_id,
		   const char *talent, const char *sha256, const char *rel)
{
	const char *base = strrchr(rel, '/');
	base = base ? base + 1 : rel;
	/* keys allow [A-Za-z0-9._-] per component: everything else is '_';
	 * at most 200 characters, keeping the extension */
	char safe[201];
	size_t n = strlen(base), k = 0;
	const char *dot = strrchr(base, '.');
	size_t ext = dot && strlen(dot) <= 16 ? strlen(dot) : 0;
	for (size_t i = 0; i < n && k < sizeof(safe) - 1; i++) {
		if (n > 200 && i == 200 - ext)
			i = n - ext; /* skip to the extension */
		unsigned char ch = (unsigned char)base[i];
		safe[k++] = (isalnum(ch) && ch < 128) || ch == '.' ||
				    ch == '-' || ch == '_'
				? (char)ch
				: '_';
	}
	safe[k] = '\0';
	int w = snprintf(out, len, "raw/%s/%s/%.16s-%s",
			 episode_id && *episode_id ? episode_id : "standalone",
			 talent, sha256, k ? safe : "file");
	return w < 0 || (size_t)w >= len ? -1 : 0;
}
