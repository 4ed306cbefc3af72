/* cmd_help.c - help: the command list by group, and one command explained. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cmd/backend.h"
#include "cmd/cmd.h"
#include "cmd/values.h"
#include "core/jb.h"
#include "core/render.h"

static int cmd_help(struct cmd_ctx *ctx)
{
	const struct arg_val *c = args_get(&ctx->args, "command");
	const struct arg_val *sub = args_get(&ctx->args, "subcommand");
	const struct cmd_def *def = NULL;

	if (c->set) {
		/* "help mem add", "help 'mem add'", "help GET_FEATURES" */
		char first[64], second[64];
		struct tok t[2] = { { .text = first }, { .text = second } };
		const char *sp = strchr(c->str, ' ');
		unsigned words, n = 1;

		snprintf(first, sizeof(first), "%.*s", sp ? (int)(sp - c->str) : (int)strlen(c->str), c->str);
		second[0] = '\0';
		if (sp)
			snprintf(second, sizeof(second), "%s", sp + 1);
		else if (sub->set)
			snprintf(second, sizeof(second), "%s", sub->str);
		if (second[0])
			n = 2;
		def = cmd_find(t, n, &words);
		if (def && words < n) {
			ctx->bad_tok = (int)sub->tok;
			return vhu_errf(&ctx->err, ENOENT, "'%s' has no subcommand '%s'", first, second);
		}
		if (!def && n == 1 && strcmp(first, "mem") == 0) {
			printf("mem add, mem list, mem remove: see 'help mem add' and so on.\n");
			json_object_put(ctx->out);
			ctx->out = NULL;
			return 0;
		}
		if (!def) {
			char full[130];
			const char *hint;

			snprintf(full, sizeof(full), "%s%s%s", first, n == 2 ? " " : "", n == 2 ? second : "");
			hint = cmd_suggest(full);
			ctx->bad_tok = (int)c->tok;
			if (hint)
				return vhu_errf(&ctx->err, ENOENT, "unknown command '%s' (did you mean '%s'?)", full, hint);
			return vhu_errf(&ctx->err, ENOENT, "unknown command '%s'", full);
		}
	}
	cmd_print_help(def);
	json_object_put(ctx->out);
	ctx->out = NULL;	/* help is text for people */
	return 0;
}

static void print_one(const struct cmd_def *c)
{
	char usage[512];

	printf("usage: %s\n\n%s\n", cmd_usage(c, usage, sizeof(usage)), c->summary);
	if (c->req) {
		printf("\nSends VHOST_USER_%s (front-end request %u): %s payload, %s.\n",
		       c->req->name, c->req->num, proto_payload_name(c->req->req_kind),
		       c->req->reply == REPLY_ALWAYS ? "always answered" :
		       c->req->reply == REPLY_IF_LOG_SHMFD ? "answered once LOG_SHMFD is negotiated" :
		       "acknowledged only with REPLY_ACK and NEED_REPLY");
		if (c->req->proto_feature >= 0)
			printf("Needs VHOST_USER_PROTOCOL_F_%s.\n",
			       proto_feature_by_bit((unsigned)c->req->proto_feature)->name);
	}
	if (c->spec_ref)
		printf("Spec: %s.\n", c->spec_ref);
	if (c->help)
		printf("\n%s\n", c->help);
	if (c->nargs) {
		printf("\narguments:\n");
		for (unsigned i = 0; i < c->nargs; i++)
			printf("  %-14s %s%s\n", c->args[i].name,
			       c->args[i].help ? c->args[i].help : args_type_name(c->args[i].type),
			       c->args[i].required ? " (required)" : "");
	}
	if (c->example)
		printf("\nexample:\n  %s\n", c->example);
}

void cmd_print_help(const struct cmd_def *c)
{
	unsigned n;
	const struct cmd_def *t;

	if (c) {
		print_one(c);
		return;
	}
	t = cmd_table(&n);
	for (int g = 0; g < GROUP_COUNT; g++) {
		bool any = false;

		for (unsigned i = 0; i < n; i++) {
			if (t[i].group != (enum cmd_group)g)
				continue;
			if (!any)
				printf("%s%s:\n", g ? "\n" : "", cmd_group_name((enum cmd_group)g));
			any = true;
			printf("  %-24s %s\n", t[i].name, t[i].summary);
		}
	}
	printf("\n'help COMMAND' shows a command's arguments.\n");
}

static const struct arg_spec help_args[] = {
	{ .name = "command", .type = ARG_STRING, .help = "command to explain" },
	{ .name = "subcommand", .type = ARG_STRING, .help = "second word of a two-word command" },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct cmd_def defs[] = {
	{ "help", GROUP_META, help_args, N(help_args), "list commands, or explain one", NULL, "help set-vring-addr",
	  NULL, cmd_help, NULL, NULL },
};

const struct cmd_def *cmd_help_defs(unsigned *n)
{
	*n = N(defs);
	return defs;
}
