from auditor.checks.registry import register_not_implemented

register_not_implemented("lighting.exposure", title_en="Exposure", title_zh="曝光")
register_not_implemented("lighting.night", title_en="Night scene", title_zh="夜间")
register_not_implemented("lighting.signs_lit", title_en="Signs lit at night", title_zh="夜间招牌照明")
