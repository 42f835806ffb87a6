from auditor.checks.registry import register_not_implemented

register_not_implemented("logo.present", title_en="Brand logo present", title_zh="品牌标识")
register_not_implemented("logo.placement", title_en="Logo placement", title_zh="标识位置")
register_not_implemented("logo.condition", title_en="Logo condition", title_zh="标识状况")
register_not_implemented("logo.wrong_mark", title_en="Wrong or outdated mark", title_zh="错误或旧标识")
