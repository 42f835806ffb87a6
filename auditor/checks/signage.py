from auditor.checks.registry import register_not_implemented

register_not_implemented("signage.text_required", title_en="Required sign text", title_zh="标识文字")
register_not_implemented("signage.colour", title_en="Signboard colours", title_zh="招牌颜色")
register_not_implemented("signage.directions", title_en="Directional signs", title_zh="指示标志")
