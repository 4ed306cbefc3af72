/* out_text.c - results that have a text form (help), as text for a person. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shell/out.h"

static const char *str(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
		json_object_get_string(v) : NULL;
}

static struct json_object *array(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_array) ? v : NULL;
}

/* "  NAME   SUMMARY" a command. */
static void text_entries(FILE *f, struct json_object *cmds)
{
	for (size_t i = 0; i < json_object_array_length(cmds); i++) {
		struct json_object *c = json_object_array_get_idx(cmds, i);

		fprintf(f, "  %-24s %s\n", str(c, "name"), str(c, "summary"));
	}
}

/* help: the groups, then how to learn more, naming the groups of two-word
 * commands as the list shows them. */
static void text_listing(FILE *f, struct json_object *groups)
{
	char words[200] = "";

	for (size_t i = 0; i < json_object_array_length(groups); i++) {
		struct json_object *g = json_object_array_get_idx(groups, i), *cmds = array(g, "commands");

		fprintf(f, "%s%s:\n", i ? "\n" : "", str(g, "name"));
		if (!cmds)
			continue;
		text_entries(f, cmds);
		for (size_t k = 0; k < json_object_array_length(cmds); k++) {
			const char *name = str(json_object_array_get_idx(cmds, k), "name");
			const char *sp = name ? strchr(name, ' ') : NULL;
			char first[40];

			if (!sp || (size_t)(sp - name) + 3 >= sizeof(first))
				continue;
			snprintf(first, sizeof(first), " %.*s,", (int)(sp - name), name);
			if (!strstr(words, first) && strlen(words) + strlen(first) < sizeof(words))
				strcat(words, first);
		}
	}
	if (words[0])
		words[strlen(words) - 1] = '\0';
	fprintf(f, "\n'help COMMAND' shows a command's arguments%s%s%s.\n",
		words[0] ? "; 'help GROUP' lists a group's commands (GROUP:" : "", words, words[0] ? ")" : "");
}

static void text_group(FILE *f, const char *topic, struct json_object *cmds)
{
	fprintf(f, "%s:\n", topic);
	text_entries(f, cmds);
	fprintf(f, "\n'help %s COMMAND' shows a command's arguments.\n", topic);
}

static const char *reply_text(const char *reply)
{
	if (reply && strcmp(reply, "always") == 0)
		return "always answered";
	if (reply && strcmp(reply, "if-log-shmfd") == 0)
		return "answered once LOG_SHMFD is negotiated";
	return "acknowledged only with REPLY_ACK and NEED_REPLY";
}

static void text_command(FILE *f, struct json_object *o)
{
	struct json_object *req, *args = array(o, "arguments"), *num;
	const char *v;

	fprintf(f, "usage: %s\n\n%s\n", str(o, "usage"), str(o, "summary"));
	if (json_object_object_get_ex(o, "request", &req) && req) {
		json_object_object_get_ex(req, "number", &num);
		v = str(req, "payload_kind");
		fprintf(f, "\nSends VHOST_USER_%s (front-end request %d): %s payload, %s.\n", str(req, "name"),
			json_object_get_int(num), v && strcmp(v, "none") == 0 ? "no" : v,
			reply_text(str(req, "reply_policy")));
		if ((v = str(req, "protocol_feature")))
			fprintf(f, "Needs VHOST_USER_PROTOCOL_F_%s.\n", v);
	}
	if ((v = str(o, "spec")))
		fprintf(f, "Spec: %s.\n", v);
	if ((v = str(o, "description")))
		fprintf(f, "\n%s\n", v);
	if (args && json_object_array_length(args)) {
		fprintf(f, "\narguments:\n");
		for (size_t i = 0; i < json_object_array_length(args); i++) {
			struct json_object *a = json_object_array_get_idx(args, i), *req_v;

			json_object_object_get_ex(a, "required", &req_v);
			fprintf(f, "  %-14s %s%s\n", str(a, "name"), str(a, "help"),
				json_object_get_boolean(req_v) ? " (required)" : "");
		}
	}
	if ((v = str(o, "example")))
		fprintf(f, "\nexample:\n  %s\n", v);
}

bool out_text(const struct session *s, struct json_object *o)
{
	struct json_object *groups = array(o, "groups"), *cmds = array(o, "commands");
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	bool ok;

	if (!groups && !cmds && !str(o, "usage"))
		return out_print(s, o);		/* no text form: as JSON */
	f = open_memstream(&text, &len);
	if (!f)
		return out_print(s, o);
	if (groups)
		text_listing(f, groups);
	else if (cmds)
		text_group(f, str(o, "topic"), cmds);
	else
		text_command(f, o);
	if (fclose(f) != 0) {
		free(text);
		return out_print(s, o);
	}
	ok = pager_write(s, text, len);
	free(text);
	return ok;
}
