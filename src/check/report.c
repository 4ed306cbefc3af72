/* report.c - what the suite found, for people (a tree), for programs (JSON, TAP) and for CI (JUnit XML). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "check/report.h"
#include "core/jb.h"

static const char *const colour[CK_VERDICTS] = {
	[CK_PASS] = "\033[32m", [CK_FAIL] = "\033[31;1m", [CK_WARN] = "\033[33m",
	[CK_SKIP] = "\033[2m", [CK_MISSING] = "\033[35m",
};
static const char *const tag[CK_VERDICTS] = {
	[CK_PASS] = "pass", [CK_FAIL] = "FAIL", [CK_WARN] = "warn", [CK_SKIP] = "skip", [CK_MISSING] = "MISS",
};

static const char *group_title(const char *name)
{
	unsigned n;
	const struct ck_group *g = ck_groups(&n);

	for (unsigned i = 0; i < n; i++)
		if (strcmp(g[i].name, name) == 0)
			return g[i].title;
	return "";
}

void report_begin(struct ck_report *r, unsigned total)
{
	r->total = total;
	r->group = NULL;
	memset(r->counts, 0, sizeof(r->counts));
	if (r->output == OUTPUT_TAP)
		printf("1..%u\n", total);
	else if (r->output == OUTPUT_TEXT)
		printf("vhuctl check: %s, %u case%s\n", r->target, total, total == 1 ? "" : "s");
	fflush(stdout);
}

void report_progress(struct ck_report *r, unsigned n, const struct ck_case *c)
{
	if (r->output != OUTPUT_TEXT || !r->tty)
		return;
	/* erased by the case's line (text_case) */
	printf("  [%u/%u] %s ...", n, r->total, c->id);
	fflush(stdout);
}

/* --- the tree --------------------------------------------------------------- */

static void text_case(struct ck_report *r, const struct ck_result *res)
{
	const struct ck_case *c = res->c;

	if (r->tty)
		printf("\r\033[K");	/* the progress line */
	if (!r->group || strcmp(r->group, c->group) != 0) {
		r->group = c->group;
		printf("\n%s%s%s: %s\n", r->color ? "\033[1m" : "", c->group, r->color ? "\033[0m" : "",
		       group_title(c->group));
	}
	printf("  %s[%s]%s %s  %s (%s, %s)\n", r->color ? colour[res->v] : "", tag[res->v], r->color ? "\033[0m" : "",
	       c->id, c->title, ck_level_name(c->level), c->section);
	if (res->v == CK_FAIL || res->v == CK_WARN) {
		if (res->expected[0])
			printf("         expected: %s\n", res->expected);
		printf("           actual: %s\n", res->actual[0] ? res->actual : res->reason);
		printf("         sentence: \"%s\"\n", c->sentence);
	} else if (res->v != CK_PASS) {
		printf("           reason: %s\n", res->reason);
	}
	if (res->crash[0])
		printf("       the back-end: %s\n", res->crash);
}

/* --- JSON ------------------------------------------------------------------- */

static struct json_object *case_json(const struct ck_report *r, unsigned n, const struct ck_result *res)
{
	const struct ck_case *c = res->c;
	struct json_object *o = json_object_new_object();

	jb_add(o, "event", json_object_new_string("check-case"));
	jb_add(o, "case", json_object_new_string(c->id));
	jb_add(o, "group", json_object_new_string(c->group));
	jb_add(o, "title", json_object_new_string(c->title));
	jb_add(o, "section", json_object_new_string(c->section));
	jb_add(o, "level", json_object_new_string(ck_level_name(c->level)));
	jb_add(o, "requirement", json_object_new_string(c->sentence));
	jb_add(o, "verdict", json_object_new_string(ck_verdict_name(res->v)));
	jb_add(o, "reason", json_object_new_string(res->reason));
	if (res->expected[0])
		jb_add(o, "expected", json_object_new_string(res->expected));
	if (res->actual[0])
		jb_add(o, "actual", json_object_new_string(res->actual));
	if (res->crash[0])
		jb_add(o, "crash", json_object_new_string(res->crash));
	if (res->restarted)
		jb_add(o, "restarted", json_object_new_boolean(1));
	jb_add(o, "index", json_object_new_int((int)n));
	jb_add(o, "total", json_object_new_int((int)r->total));
	jb_add(o, "duration_us", jb_us(res->ns));
	jb_add(o, "evidence", json_object_get(res->evidence));
	return o;
}

/* --- TAP -------------------------------------------------------------------- */

static void tap_case(unsigned n, const struct ck_result *res)
{
	const struct ck_case *c = res->c;
	bool ok = res->v == CK_PASS || res->v == CK_WARN || res->v == CK_SKIP;

	printf("%s %u - %s: %s", ok ? "ok" : "not ok", n, c->id, c->title);
	if (res->v == CK_SKIP)
		printf(" # SKIP %s", res->reason);
	else if (res->v == CK_MISSING)
		printf(" (missing: %s)", res->reason);
	printf("\n");
	if (res->v == CK_WARN)
		printf("# warn: %s\n", res->reason);
	if (res->v == CK_FAIL) {
		if (res->expected[0])
			printf("#   expected: %s\n", res->expected);
		printf("#   actual: %s\n", res->actual[0] ? res->actual : res->reason);
	}
	if (res->crash[0])
		printf("#   the back-end: %s\n", res->crash);
}

void report_case(struct ck_report *r, unsigned n, const struct ck_result *res)
{
	r->counts[res->v]++;
	switch (r->output) {
	case OUTPUT_TEXT:
		text_case(r, res);
		break;
	case OUTPUT_TAP:
		tap_case(n, res);
		break;
	case OUTPUT_JSON: {
		struct json_object *o = case_json(r, n, res);

		r->host->print(r->s, o);
		json_object_put(o);
		break;
	}
	}
	fflush(stdout);
}

/* --- JUnit XML ----------------------------------------------------------------- */

static void xml_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default:
			/* XML 1.0 has no place for other control characters */
			if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
				fputc('?', f);
			else
				fputc(*s, f);
		}
	}
}

static void junit_case(FILE *f, const struct ck_result *res)
{
	const struct ck_case *c = res->c;

	fprintf(f, "    <testcase classname=\"vhuctl.check.%s\" name=\"%s\" time=\"%.3f\">\n", c->group, c->id,
		(double)res->ns / 1e9);
	switch (res->v) {
	case CK_FAIL:
		fprintf(f, "      <failure type=\"%s\" message=\"", ck_level_name(c->level));
		xml_text(f, res->reason);
		fprintf(f, "\">expected: ");
		xml_text(f, res->expected);
		fprintf(f, "\nactual: ");
		xml_text(f, res->actual[0] ? res->actual : res->reason);
		fprintf(f, "</failure>\n");
		break;
	case CK_SKIP:
		fprintf(f, "      <skipped message=\"");
		xml_text(f, res->reason);
		fprintf(f, "\"/>\n");
		break;
	case CK_MISSING:
		fprintf(f, "      <error type=\"missing\" message=\"");
		xml_text(f, res->reason);
		fprintf(f, "\"/>\n");
		break;
	case CK_PASS:
	case CK_WARN:
	case CK_VERDICTS:
		break;
	}
	fprintf(f, "      <system-out>");
	xml_text(f, c->title);
	fprintf(f, "\n%s, %s: \"", ck_level_name(c->level), c->section);
	xml_text(f, c->sentence);
	fprintf(f, "\"\n%s: ", ck_verdict_name(res->v));
	xml_text(f, res->reason);
	if (res->crash[0]) {
		fprintf(f, "\nthe back-end: ");
		xml_text(f, res->crash);
	}
	fprintf(f, "</system-out>\n    </testcase>\n");
}

static int write_junit(const struct ck_report *r, const struct ck_result *res, unsigned n, int64_t ns)
{
	FILE *f = fopen(r->junit, "w");
	unsigned ng;
	const struct ck_group *g = ck_groups(&ng);

	if (!f)
		return -errno;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f, "<testsuites name=\"vhuctl check\" tests=\"%u\" failures=\"%u\" errors=\"%u\" skipped=\"%u\" "
		"time=\"%.3f\">\n", n, r->counts[CK_FAIL], r->counts[CK_MISSING], r->counts[CK_SKIP], (double)ns / 1e9);
	for (unsigned k = 0; k < ng; k++) {
		unsigned cnt[CK_VERDICTS] = { 0 }, tests = 0;
		int64_t t = 0;

		for (unsigned i = 0; i < n; i++)
			if (strcmp(res[i].c->group, g[k].name) == 0)
				cnt[res[i].v]++, tests++, t += res[i].ns;
		if (!tests)
			continue;
		fprintf(f, "  <testsuite name=\"%s\" tests=\"%u\" failures=\"%u\" errors=\"%u\" skipped=\"%u\" "
			"time=\"%.3f\">\n", g[k].name, tests, cnt[CK_FAIL], cnt[CK_MISSING], cnt[CK_SKIP], (double)t / 1e9);
		for (unsigned i = 0; i < n; i++)
			if (strcmp(res[i].c->group, g[k].name) == 0)
				junit_case(f, &res[i]);
		fprintf(f, "  </testsuite>\n");
	}
	fprintf(f, "</testsuites>\n");
	return fclose(f) == 0 ? 0 : -errno;
}

/* --- the end ---------------------------------------------------------------- */

static struct json_object *summary_json(const struct ck_report *r, const struct ck_result *res, unsigned n,
					 int64_t ns, unsigned starts, int status)
{
	struct json_object *o = json_object_new_object(), *cnt = json_object_new_object(),
		*crashes = json_object_new_array();

	for (int v = 0; v < CK_VERDICTS; v++)
		jb_add(cnt, ck_verdict_name((enum ck_verdict)v), json_object_new_int((int)r->counts[v]));
	for (unsigned i = 0; i < n; i++) {
		struct json_object *c;

		if (!res[i].crash[0])
			continue;
		c = json_object_new_object();
		jb_add(c, "case", json_object_new_string(res[i].c->id));
		jb_add(c, "crash", json_object_new_string(res[i].crash));
		json_object_array_add(crashes, c);
	}
	jb_add(o, "event", json_object_new_string("check-summary"));
	jb_add(o, "target", json_object_new_string(r->target));
	jb_add(o, "total", json_object_new_int((int)n));
	jb_add(o, "counts", cnt);
	jb_add(o, "crashes", crashes);
	jb_add(o, "backend_starts", json_object_new_int((int)starts));
	jb_add(o, "duration_us", jb_us(ns));
	jb_add(o, "exit_status", json_object_new_int(status));
	return o;
}

int report_end(struct ck_report *r, const struct ck_result *res, unsigned n, int64_t ns, unsigned starts, int status)
{
	if (r->output == OUTPUT_JSON) {
		struct json_object *o = summary_json(r, res, n, ns, starts, status);

		r->host->print(r->s, o);
		json_object_put(o);
	} else {
		printf("%s%u cases: %u pass, %u fail, %u warn, %u skip, %u missing in %.1f s",
		       r->output == OUTPUT_TAP ? "# " : "\n", n, r->counts[CK_PASS], r->counts[CK_FAIL],
		       r->counts[CK_WARN], r->counts[CK_SKIP], r->counts[CK_MISSING], (double)ns / 1e9);
		if (starts)
			printf(" (the back-end started %u time%s)", starts, starts == 1 ? "" : "s");
		printf("\n");
		for (unsigned i = 0; i < n; i++)
			if (res[i].crash[0])
				printf("%sthe back-end %s during %s\n", r->output == OUTPUT_TAP ? "# " : "",
				       res[i].crash, res[i].c->id);
	}
	fflush(stdout);
	return r->junit ? write_junit(r, res, n, ns) : 0;
}
