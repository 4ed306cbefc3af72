/* cmd_help.c - help as a result: the commands by group, a group's commands, one command explained. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/jb.h"

/* {"name": "blk read", "summary": "..."} */
static struct json_object *entry(const struct cmd_def *c)
{
	struct json_object *o = json_object_new_object();

	jb_add(o, "name", json_object_new_string(c->name));
	jb_add(o, "summary", json_object_new_string(c->summary));
	return o;
}

/* help: every command, by group, in table order. */
static void help_list(struct json_object *out)
{
	struct json_object *groups = json_object_new_array();
	unsigned n;
	const struct cmd_def *t = cmd_table(&n);

	for (int g = 0; g < GROUP_COUNT; g++) {
		struct json_object *cmds = json_object_new_array(), *o;

		for (unsigned i = 0; i < n; i++)
			if (t[i].group == (enum cmd_group)g)
				json_object_array_add(cmds, entry(&t[i]));
		if (json_object_array_length(cmds) == 0) {
			json_object_put(cmds);
			continue;
		}
		o = json_object_new_object();
		jb_add(o, "name", json_object_new_string(cmd_group_name((enum cmd_group)g)));
		jb_add(o, "commands", cmds);
		json_object_array_add(groups, o);
	}
	jb_add(out, "groups", groups);
}

/* help blk: the commands whose first word is GROUP. */
static void help_group(struct json_object *out, const char *group)
{
	struct json_object *cmds = json_object_new_array();

	for (const struct cmd_def *c = cmd_group_next(group, NULL); c; c = cmd_group_next(group, c))
		json_object_array_add(cmds, entry(c));
	jb_add(out, "topic", json_object_new_string(group));
	jb_add(out, "commands", cmds);
}

static const char *reply_name(enum vhu_reply_policy p)
{
	switch (p) {
	case REPLY_ALWAYS: return "always";
	case REPLY_IF_LOG_SHMFD: return "if-log-shmfd";
	case REPLY_ACK_ONLY: return "ack-only";
	case REPLY_NONE: break;
	}
	return "none";
}

/* The request a request command sends, from its row of the protocol table. */
static struct json_object *request_json(const struct vhu_request *r)
{
	struct json_object *o = json_object_new_object();

	jb_add(o, "name", json_object_new_string(r->name));
	jb_add(o, "number", json_object_new_int((int)r->num));
	jb_add(o, "payload_kind", json_object_new_string(r->req_kind == PL_NONE ? "none" : proto_payload_name(r->req_kind)));
	jb_add(o, "reply_policy", json_object_new_string(reply_name(r->reply)));
	if (r->proto_feature >= 0)
		jb_add(o, "protocol_feature",
		       json_object_new_string(proto_feature_by_bit((unsigned)r->proto_feature)->name));
	return o;
}

static struct json_object *argument_json(const struct arg_spec *a)
{
	struct json_object *o = json_object_new_object();

	jb_add(o, "name", json_object_new_string(a->name));
	jb_add(o, "type", json_object_new_string(args_type_id(a->type)));
	jb_add(o, "required", json_object_new_boolean(a->required));
	jb_add(o, "positional", json_object_new_boolean(!a->key_only && a->type != ARG_FLAG));
	jb_add(o, "help", json_object_new_string(a->help ? a->help : args_type_name(a->type)));
	if (a->type == ARG_ENUM) {
		struct json_object *v = json_object_new_array();

		for (const struct arg_enum *e = a->enums; e && e->name; e++)
			json_object_array_add(v, json_object_new_string(e->name));
		jb_add(o, "values", v);
	}
	return o;
}

/* help CMD: all its row says. */
static void help_command(struct json_object *out, const struct cmd_def *c)
{
	struct json_object *args = json_object_new_array();
	char usage[512];

	jb_add(out, "topic", json_object_new_string(c->name));
	jb_add(out, "usage", json_object_new_string(cmd_usage(c, usage, sizeof(usage))));
	jb_add(out, "summary", json_object_new_string(c->summary));
	jb_add(out, "group", json_object_new_string(cmd_group_name(c->group)));
	if (c->req)
		jb_add(out, "request", request_json(c->req));
	if (c->spec_ref)
		jb_add(out, "spec", json_object_new_string(c->spec_ref));
	if (c->help)
		jb_add(out, "description", json_object_new_string(c->help));
	for (unsigned i = 0; i < c->nargs; i++)
		json_object_array_add(args, argument_json(&c->args[i]));
	jb_add(out, "arguments", args);
	if (c->example)
		jb_add(out, "example", json_object_new_string(c->example));
}

int cmd_help_about(struct cmd_ctx *ctx, const struct cmd_def *c)
{
	ctx->cmd = cmd_help_def();
	ctx->show = SHOW_AUTO;
	if (!ctx->out)
		ctx->out = json_object_new_object();
	jb_add(ctx->out, "command", json_object_new_string(ctx->cmd->name));
	help_command(ctx->out, c);
	return 0;
}

static int cmd_help(struct cmd_ctx *ctx)
{
	const struct arg_val *c = args_get(&ctx->args, "command");
	const struct arg_val *sub = args_get(&ctx->args, "subcommand");
	const struct cmd_def *def;
	/* "help mem add", "help 'mem add'", "help GET_FEATURES" */
	char first[64], second[64];
	struct tok t[2] = { { .text = first }, { .text = second } };
	const char *sp;
	unsigned words, bad, n = 1;

	ctx->show = (enum cmd_show)args_u(&ctx->args, "format", SHOW_AUTO);
	if (!c->set) {
		help_list(ctx->out);
		return 0;
	}
	sp = strchr(c->str, ' ');
	snprintf(first, sizeof(first), "%.*s", sp ? (int)(sp - c->str) : (int)strlen(c->str), c->str);
	second[0] = '\0';
	if (sp)
		snprintf(second, sizeof(second), "%s", sp + 1);
	else if (sub->set)
		snprintf(second, sizeof(second), "%s", sub->str);
	if (second[0])
		n = 2;
	if (cmd_lookup(t, n, &def, &words, &bad, &ctx->err) < 0) {
		ctx->bad_tok = (int)(bad == 1 && !sp ? sub->tok : c->tok);
		ctx->err.code = ENOENT;
		return -ENOENT;
	}
	if (def && words < n) {
		ctx->bad_tok = (int)(sp ? c->tok : sub->tok);
		return vhu_errf(&ctx->err, ENOENT, "'%s' has no sub-command '%s'", first, second);
	}
	if (def)
		help_command(ctx->out, def);
	else
		help_group(ctx->out, cmd_group_word(first));
	return 0;
}

static const struct arg_enum formats[] = {
	{ "auto", SHOW_AUTO }, { "text", SHOW_TEXT }, { "json", SHOW_JSON }, { NULL, 0 },
};

static const struct arg_spec help_args[] = {
	{ .name = "command", .type = ARG_STRING, .help = "command or group to explain" },
	{ .name = "subcommand", .type = ARG_STRING, .help = "second word of a two-word command" },
	{ .name = "format", .type = ARG_ENUM, .key_only = true, .enums = formats, .max = SHOW_TEXT,
	  .help = "auto (text on a terminal without --json, else JSON), text or json" },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct cmd_def defs[] = {
	{ "help", GROUP_META, help_args, N(help_args), "list commands, or explain one",
	  "With a group, the first word of two-word commands (mem, vring, blk...), it lists the\n"
	  "group's commands, as the word alone does. On a terminal, unless --json is given, help\n"
	  "is text, through $PAGER when it is longer than the screen; elsewhere a JSON object.",
	  "help set-vring-addr", NULL, cmd_help, NULL, NULL, NULL },
};

const struct cmd_def *cmd_help_defs(unsigned *n)
{
	*n = N(defs);
	return defs;
}

const struct cmd_def *cmd_help_def(void)
{
	return &defs[0];
}
