/*
 * pick-macro.c: ui_pick_macro(), on its own.
 *
 * The `macros` command (macro-console.c) opens the picker through this.
 * It only asks: ui_render() opens the picker (ui.c) at the end of the loop
 * pass. Kept apart from ui.c so that code linking macro-console.o without
 * a screen (the macro tests, with their fake app and ui) does not pull the
 * whole screen and the real app in with it.
 */
#include "baton/ui.h"

#include "ui-internal.h"

void ui_pick_macro(struct ui *ui)
{
	if (!ui)
		return;
	ui->pick_macro = true;
	ui->dirty |= UI_D_OVERLAY;
}
