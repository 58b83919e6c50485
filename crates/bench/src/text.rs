//! Synthetic Chinese text of the lengths real service items have.
//!
//! Phrases are drawn from small vocabularies until a length is reached, so the
//! bytes a log stores and the strings the index keeps are as large as with
//! real standards. The words mean something; the sentences they form do not.

use crate::rng::Rng;
use domain::text::Text;

const TARGETS: [&str; 16] = [
    "农村计划怀孕夫妇",
    "辖区内常住人口",
    "0—6岁儿童",
    "65岁及以上老年人",
    "城乡最低生活保障对象",
    "特困人员",
    "持证残疾人",
    "义务教育阶段学生",
    "退役军人及其他优抚对象",
    "登记失业人员",
    "孕产妇",
    "离校未就业高校毕业生",
    "农村留守儿童和困境儿童",
    "困难职工家庭",
    "城镇住房困难家庭",
    "在校普通高中学生",
];

const CONTENTS: [&str; 16] = [
    "提供免费健康检查和咨询指导",
    "建立居民健康档案并定期更新",
    "开展随访评估和健康管理",
    "按规定发放补助资金",
    "提供职业介绍和就业指导",
    "组织职业技能培训",
    "开展上门探视和关爱服务",
    "提供法律咨询和法律援助",
    "落实公共租赁住房保障",
    "开展心理健康疏导",
    "按规定给予基本生活补贴",
    "免费提供基本公共卫生服务",
    "组织开展群众性文化体育活动",
    "开展政策宣传和健康教育",
    "实施动态监测和分类帮扶",
    "提供康复训练和辅助器具适配",
];

const STANDARDS: [&str; 16] = [
    "按照国家和省有关规定执行",
    "每年至少开展一次",
    "服务覆盖率达到百分之九十以上",
    "补助标准不低于每人每月二百元",
    "服务对象满意度不低于百分之八十五",
    "办理时限不超过十五个工作日",
    "根据经济社会发展水平动态调整",
    "由县级以上人民政府组织实施",
    "按照属地管理原则落实到乡镇街道",
    "城乡之间标准逐步统一",
    "免费提供相关服务不收取任何费用",
    "服务场所每周开放时间不少于四十二小时",
    "建立健全服务台账并按季度报送",
    "重点人群签约服务率不低于百分之七十",
    "补助资金按月足额发放到户",
    "确保符合条件的对象应保尽保",
];

const EXPENDITURES: [&str; 6] = [
    "地方人民政府负责，中央财政给予适当补助。",
    "中央与地方共同财政事权，按规定比例分担。",
    "地方财政事权，由地方承担支出责任。",
    "省级财政统筹安排，市县按规定配套。",
    "中央财政事权，由中央承担支出责任。",
    "按照现行财政体制和有关规定分级负担。",
];

const UNITS: [&str; 12] = [
    "卫生健康委",
    "教育厅",
    "民政厅",
    "人力资源社会保障厅",
    "住房城乡建设厅",
    "文化和旅游厅",
    "退役军人事务厅",
    "医疗保障局",
    "体育局",
    "残联",
    "财政厅",
    "妇联",
];

const SERVICES: [&str; 12] = [
    "健康检查",
    "健康管理",
    "生活补助",
    "就业援助",
    "技能培训",
    "关爱服务",
    "法律援助",
    "住房保障",
    "康复服务",
    "文化服务",
    "体育健身",
    "教育资助",
];

/// Joins phrases with '，' until at least `chars_min` characters, ending with '。'.
fn sentence(rng: &mut Rng, phrases: &[&str], chars_min: usize) -> String {
    let mut out = String::new();
    let mut chars = 0;
    while chars < chars_min {
        if !out.is_empty() {
            out.push('，');
            chars += 1;
        }
        let phrase = rng.pick(phrases);
        out.push_str(phrase);
        chars += phrase.chars().count();
    }
    out.push('。');
    out
}

pub fn service_target(rng: &mut Rng) -> String {
    let length = 8 + rng.below(20);
    sentence(rng, &TARGETS, length)
}

pub fn service_content(rng: &mut Rng) -> String {
    let length = 40 + rng.below(80);
    sentence(rng, &CONTENTS, length)
}

pub fn service_standard(rng: &mut Rng) -> String {
    let length = 50 + rng.below(100);
    sentence(rng, &STANDARDS, length)
}

pub fn expenditure(rng: &mut Rng) -> String {
    rng.pick(&EXPENDITURES).to_string()
}

pub fn lead_units(rng: &mut Rng) -> Vec<Text> {
    let count = 1 + rng.below(3);
    let mut units: Vec<Text> = Vec::new();
    while units.len() < count {
        let unit = Text::from(*rng.pick(&UNITS));
        if !units.contains(&unit) {
            units.push(unit);
        }
    }
    units
}

pub fn item_name(rng: &mut Rng) -> String {
    let target = rng.pick(&TARGETS);
    let service = rng.pick(&SERVICES);
    format!("{target}{service}")
}
