import type { Audience } from './tables.ts';

/**
 * The content library as the migration seeds it (docs/warnings.md, "Content library"): for each
 * scam type and the audience it mostly hits, what the SMS, the app push and the caller say, in
 * Chinese and English. SMS and push bodies carry no link (a link is what scams send) and name the
 * national anti-fraud line 96110 instead. Supervisors edit them afterwards (versioned).
 */

export interface SeedTexts {
  /** SMS: ≤ 70 Chinese characters / 160 English ones, so it goes as one message. */
  sms: string;
  push: { title: string; body: string };
  script: { title: string; body: string };
}

export interface SeedItem {
  scamType: string;
  audience: Audience;
  zh: SeedTexts;
  en: SeedTexts;
}

export const CONTENT_SEED: readonly SeedItem[] = [
  {
    scamType: 'general',
    audience: 'everyone',
    zh: {
      sms: '【反诈中心】您可能正遭遇电信网络诈骗。请勿向陌生人转账、透露验证码。如有疑问请拨打96110。',
      push: {
        title: '反诈预警',
        body: '您可能正在遭遇诈骗：不要转账，不要透露验证码，先挂断电话，拨打96110核实。',
      },
      script: {
        title: '通用劝阻话术',
        body:
          '您好，我是反诈中心民警，警号可在结束后拨打110核实。我们监测到您可能正在遭遇电信网络诈骗。\n' +
          '1. 请先确认：您现在是否正在和陌生人通话，或对方要求您转账、下载软件、开启屏幕共享？\n' +
          '2. 不论对方自称什么身份，都不要转账，不要说出银行卡密码和短信验证码。\n' +
          '3. 如果已经转账，请立即告诉我们转账时间、金额和对方账户，我们马上联系银行止付。\n' +
          '4. 请把刚才联系您的电话号码告诉我们。有任何疑问随时拨打96110。',
      },
    },
    en: {
      sms: 'Anti-Fraud Centre: you may be the target of a scam right now. Do not transfer money or share any code. If in doubt call 96110.',
      push: {
        title: 'Fraud warning',
        body: 'You may be being scammed: do not transfer money or share codes. Hang up and call 96110 to check.',
      },
      script: {
        title: 'General dissuasion script',
        body:
          'Hello, this is the anti-fraud centre of the police; you can check my badge number by calling 110 afterwards. ' +
          'We believe you may be the target of a scam right now.\n' +
          '1. Are you on the phone with a stranger, or has someone asked you to transfer money, install an app or share your screen?\n' +
          '2. Whoever they say they are, do not transfer money and do not tell anyone your PIN or SMS codes.\n' +
          '3. If you have already paid, tell us when, how much and to which account: we will ask the bank to stop the payment now.\n' +
          '4. Please give us the number that contacted you. Call 96110 any time you are unsure.',
      },
    },
  },
  {
    scamType: 'impersonate_police',
    audience: 'everyone',
    zh: {
      sms: '【反诈中心】公检法机关不会电话办案，不会要求转账到“安全账户”。自称警察让您转账的都是诈骗，请拨96110。',
      push: {
        title: '警惕冒充公检法诈骗',
        body: '公安机关不会通过电话、视频办案，更不会要求转账到“安全账户”。请立即挂断。',
      },
      script: {
        title: '冒充公检法劝阻话术',
        body:
          '您好，我是反诈中心民警。请问刚才是否有人自称公安、检察院或法院，说您涉嫌洗钱或包裹里有违禁品？\n' +
          '请您记住：真正的公检法机关不会通过电话或视频做笔录，不会发“通缉令”“逮捕证”到网上，不会要求保密，更不会要求把钱转到“安全账户”。\n' +
          '对方让您下载的会议软件或开启的屏幕共享请立即关闭，不要说出验证码。\n' +
          '如果您担心自己真的有案件，请挂断后自己拨打110或到就近派出所核实。已经转账的，请马上告诉我们时间、金额和对方账户。',
      },
    },
    en: {
      sms: 'Anti-Fraud Centre: police, prosecutors and courts never handle cases by phone or ask you to move money to a "safe account". Call 96110.',
      push: {
        title: 'Fake police call?',
        body: 'Real police never question you by phone or video, or ask for money in a "safe account". Hang up now.',
      },
      script: {
        title: 'Fake police: dissuasion script',
        body:
          'Hello, this is the anti-fraud centre. Has someone called you claiming to be the police, a prosecutor or a court, saying you are suspected of money laundering or that a parcel in your name held something illegal?\n' +
          'Real police never take statements by phone or video, never send arrest warrants online, never ask you to keep it secret, and never ask you to move money to a "safe account".\n' +
          'Close any meeting app or screen sharing they asked you to open, and do not give any code.\n' +
          'If you are worried, hang up and call 110 yourself or go to a police station. If you have paid, tell us when, how much and to which account.',
      },
    },
  },
  {
    scamType: 'customer_service_refund',
    audience: 'everyone',
    zh: {
      sms: '【反诈中心】自称客服说要退款、理赔或关闭“百万保障”的都是诈骗。请在官方App内自行核实，勿转账，勿共享屏幕。',
      push: {
        title: '警惕冒充客服退款',
        body: '退款不需要您先付钱、贷款或共享屏幕。请挂断电话，在购物App里自己查看订单。',
      },
      script: {
        title: '冒充客服退款劝阻话术',
        body:
          '您好，我是反诈中心民警。请问刚才是否有人自称电商或快递客服，说您的商品有问题要退款理赔，或者说您开通了“百万保障”“会员服务”要关闭，否则每月扣费？\n' +
          '正规平台退款会原路退回，不需要您提供银行卡、验证码，不需要下载会议软件共享屏幕，更不需要您先贷款或转账“验证流水”。\n' +
          '请立即挂断，打开您常用的购物App自己查看订单。如果已经按对方要求操作，请马上修改支付密码，并告诉我们转账信息。',
      },
    },
    en: {
      sms: 'Anti-Fraud Centre: "customer service" offering a refund or to cancel a membership fee by phone is a scam. Check in the official app yourself.',
      push: {
        title: 'Fake refund call?',
        body: 'A real refund never needs you to pay, borrow or share your screen. Hang up and check your order in the app.',
      },
      script: {
        title: 'Fake customer-service refund: dissuasion script',
        body:
          'Hello, this is the anti-fraud centre. Has someone claiming to be a shop or courier agent offered you a refund or compensation, or said a membership you never took will be charged unless you cancel it?\n' +
          'Real refunds go back the way you paid. Nobody needs your card details or codes, a screen-sharing app, or a loan "to verify your credit".\n' +
          'Please hang up and open the shopping app you use to check the order yourself. If you followed their instructions, change your payment passwords and tell us what you paid.',
      },
    },
  },
  {
    scamType: 'loan',
    audience: 'everyone',
    zh: {
      sms: '【反诈中心】放款前要求交保证金、解冻费、刷流水的贷款都是诈骗。正规贷款不会先收钱，请勿转账。',
      push: {
        title: '警惕虚假贷款',
        body: '正规贷款放款前不收任何费用。要您先交“保证金”“解冻费”的，都是诈骗。',
      },
      script: {
        title: '虚假贷款劝阻话术',
        body:
          '您好，我是反诈中心民警。请问您最近是否在网上申请贷款，对方说您“流水不足”“银行卡号填错被冻结”，要您先交保证金、解冻费或刷流水？\n' +
          '正规贷款机构放款前不会收取任何费用，也不会要求您转账证明还款能力。凡是放款前要先交钱的，都是诈骗。\n' +
          '请停止转账，卸载对方让您下载的App。如需借款，请到银行或持牌机构的官方渠道办理。已经转账的，请告诉我们金额和对方账户。',
      },
    },
    en: {
      sms: 'Anti-Fraud Centre: a loan that asks for a deposit, an "unfreezing fee" or proof transfers before paying out is a scam. Do not pay.',
      push: {
        title: 'Fake loan?',
        body: 'Real lenders charge nothing before paying out. A loan that wants a "deposit" first is a scam.',
      },
      script: {
        title: 'Fake loan: dissuasion script',
        body:
          'Hello, this is the anti-fraud centre. Have you applied for a loan online and been told your account is frozen because of a wrong card number, or that you must pay a deposit or show transfers before the money comes?\n' +
          'Licensed lenders never charge anything before paying out and never ask you to transfer money to prove you can repay. Any loan that wants money first is a scam.\n' +
          'Please stop paying and uninstall the app they gave you. Borrow only through a bank or licensed lender. If you have paid, tell us how much and to which account.',
      },
    },
  },
  {
    scamType: 'livestream_rewards',
    audience: 'minor',
    zh: {
      sms: '【反诈中心】同学你好：直播间说打赏、刷礼物能返现、能中奖都是骗局，不要用爸妈的手机付款。有疑问告诉家长或拨96110。',
      push: {
        title: '直播打赏返现是骗局',
        body: '说打赏能返现、能当主播“助理”赚钱的都是骗子。别付款，先告诉爸爸妈妈。',
      },
      script: {
        title: '未成年人直播打赏劝阻话术（先联系监护人）',
        body:
          '请先确认接电话的是孩子本人还是家长；能联系到家长时，请家长一起听。\n' +
          '小朋友你好，我是反诈中心的警察叔叔/阿姨，你没有做错事，不用害怕。\n' +
          '有没有人在直播间或群里说，给主播刷礼物就能返现、中奖，或者让你做“任务”、当“粉丝团管理员”？他们有没有让你用爸爸妈妈的手机付款、扫脸或者说出验证码？\n' +
          '这些都是骗局，钱付出去就拿不回来了。现在请不要再付款，把手机交给爸爸妈妈。以后遇到要你付钱、要你保密的事，先告诉家长。\n' +
          '（对家长）请检查手机的支付记录，开启支付密码和未成年人模式；已付款的告诉我们时间、金额和收款账户。',
      },
    },
    en: {
      sms: "Anti-Fraud Centre: tipping a live streamer never earns money back or prizes. Do not pay with your parents' phone. Tell a parent or call 96110.",
      push: {
        title: 'Streamer rewards are a trick',
        body: 'Anyone saying gifts to a streamer earn cash back is lying. Do not pay: tell your parents first.',
      },
      script: {
        title: 'Minor, livestream rewards: script (reach a guardian first)',
        body:
          'First check whether you are speaking to the child or a parent; if a parent can be reached, ask them to listen too.\n' +
          'Hello, I am a police officer from the anti-fraud centre. You have not done anything wrong, there is no need to be afraid.\n' +
          'Has anyone in a live stream or a chat group said that sending gifts gets you cash back or a prize, or asked you to do "tasks" or be a "fan club admin"? Did they ask you to pay with your parents\' phone, scan a face or read out a code?\n' +
          'These are tricks, and money paid will not come back. Please stop paying now and give the phone to your parents. Whenever someone asks you to pay and keep it secret, tell a parent first.\n' +
          '(To the parent) Please check the payment history, set a payment password and turn on the minor mode. If money was paid, tell us when, how much and to which account.',
      },
    },
  },
  {
    scamType: 'game_trading',
    audience: 'minor',
    zh: {
      sms: '【反诈中心】同学你好：买卖游戏账号、装备、皮肤要“解冻费”“保证金”的都是诈骗，只在官方平台交易，别用家长手机付款。',
      push: {
        title: '游戏交易要“解冻费”是骗局',
        body: '私下买卖游戏账号、皮肤，对方说要交解冻费、保证金的，都是骗子。先告诉家长。',
      },
      script: {
        title: '未成年人游戏交易劝阻话术（先联系监护人）',
        body:
          '请先确认接电话的是孩子本人还是家长；能联系到家长时，请家长一起听。\n' +
          '同学你好，我是反诈中心的警察，你不用害怕。\n' +
          '有没有人要免费送你皮肤、装备，或者买你的游戏账号，然后说你的账号被冻结、操作失误，要交“解冻费”“保证金”，还让你用爸爸妈妈的手机转账、扫码？\n' +
          '这些都是骗局。游戏交易只在游戏官方的平台进行，真正的客服不会让你转账。现在请不要再付款，也不要删除聊天记录，把手机交给爸爸妈妈。\n' +
          '（对家长）请检查手机的支付记录，修改支付密码，开启未成年人模式；已付款的告诉我们时间、金额和收款账户。',
      },
    },
    en: {
      sms: 'Anti-Fraud Centre: a game account or skin deal that asks for an "unfreezing fee" or deposit is a scam. Trade only in the official game store.',
      push: {
        title: 'Game deal asking for a fee?',
        body: 'Private game account or skin deals that need a fee to "unfreeze" are scams. Tell your parents first.',
      },
      script: {
        title: 'Minor, game trading: script (reach a guardian first)',
        body:
          'First check whether you are speaking to the child or a parent; if a parent can be reached, ask them to listen too.\n' +
          'Hello, I am a police officer from the anti-fraud centre. There is no need to be afraid.\n' +
          "Has someone offered you free skins or equipment, or to buy your game account, and then said your account is frozen or you made a mistake and must pay a fee or deposit, using your parents' phone?\n" +
          "This is a trick. Game items are traded only in the game's official store, and real support staff never ask you to transfer money. Stop paying now, keep the chat, and give the phone to your parents.\n" +
          '(To the parent) Please check the payment history, change the payment password and turn on the minor mode. If money was paid, tell us when, how much and to which account.',
      },
    },
  },
  {
    scamType: 'shopping',
    audience: 'minor',
    zh: {
      sms: '【反诈中心】同学你好：低价卖明星周边、手机、游戏卡，要你私下转账或扫码付款的都是骗子。只在正规平台下单。',
      push: {
        title: '低价私下交易是骗局',
        body: '“超低价”商品要你私下转账、加好友付款的，都是骗子。只在正规平台下单。',
      },
      script: {
        title: '未成年人网购劝阻话术（先联系监护人）',
        body:
          '请先确认接电话的是孩子本人还是家长；能联系到家长时，请家长一起听。\n' +
          '同学你好，我是反诈中心的警察，你不用害怕。\n' +
          '你是不是在群里或社交软件上看到有人低价卖明星周边、手机、游戏点卡，让你加好友私下转账或扫码付款？\n' +
          '正规购物只在平台内下单付款，私下转账出了问题平台和警察都很难帮你追回。请不要再付款，把聊天记录留好，把手机交给爸爸妈妈。\n' +
          '（对家长）请检查手机的支付记录；已付款的告诉我们时间、金额和收款账户。',
      },
    },
    en: {
      sms: 'Anti-Fraud Centre: cheap idol merchandise, phones or game cards sold for a private transfer are scams. Buy only inside a real shopping platform.',
      push: {
        title: 'Too cheap to be true?',
        body: 'Sellers who want a private transfer or QR payment outside the platform are scammers. Tell your parents.',
      },
      script: {
        title: 'Minor, online shopping: script (reach a guardian first)',
        body:
          'First check whether you are speaking to the child or a parent; if a parent can be reached, ask them to listen too.\n' +
          'Hello, I am a police officer from the anti-fraud centre. There is no need to be afraid.\n' +
          'Did someone in a group or social app offer idol merchandise, a phone or game cards very cheaply, and ask you to add them and pay by private transfer or QR code?\n' +
          'Real shops take payment inside the platform; money sent privately is very hard to get back. Please stop paying, keep the chat, and give the phone to your parents.\n' +
          '(To the parent) Please check the payment history. If money was paid, tell us when, how much and to which account.',
      },
    },
  },
  {
    scamType: 'investment_pension',
    audience: 'elderly',
    zh: {
      sms: '【反诈中心】大爷大妈：承诺高收益、“养老项目”“以房养老”要您转账投资的都是诈骗。转账前先问子女或拨96110。',
      push: {
        title: '警惕养老投资骗局',
        body: '“高息养老项目”“保本理财”要您转账的都是诈骗。转账前先和子女商量。',
      },
      script: {
        title: '老年人养老投资劝阻话术',
        body:
          '请说话慢一些、声音大一些，必要时请老人的子女一起听。\n' +
          '大爷/大妈您好，我是反诈中心的民警。您最近是不是有人介绍“养老公寓”“养老项目”“以房养老”或高利息的理财，说保本、每月返利？\n' +
          '国家正规的养老服务不会让您把养老钱转到个人账户，更不会承诺高收益、保本。所谓讲座送鸡蛋、旅游、返利，都是为了让您把钱投进去。\n' +
          '请您先不要转账、不要抵押房子，也不要把存折、银行卡、身份证交给别人。我们可以帮您联系子女一起商量。已经投了钱的，请告诉我们金额和对方账户，我们帮您止付。',
      },
    },
    en: {
      sms: 'Anti-Fraud Centre: "pension projects" or investments promising high, safe returns are scams. Before paying anything, ask your family or call 96110.',
      push: {
        title: 'Pension investment scam?',
        body: 'High-interest "pension projects" and "guaranteed" returns are scams. Talk to your family before paying.',
      },
      script: {
        title: 'Elderly, pension investment: dissuasion script',
        body:
          'Speak slowly and clearly; if possible ask a son or daughter to listen too.\n' +
          'Hello, I am from the police anti-fraud centre. Has someone recently offered you a "pension flat", a "pension project", a reverse mortgage or a high-interest investment that "cannot lose" and pays back every month?\n' +
          'Real pension services never ask you to move your savings to a personal account, and nobody can guarantee high returns. Free eggs, trips and talks are there to get your money.\n' +
          'Please do not transfer money or pledge your home, and do not hand your bank book, cards or identity card to anyone. We can call your family to talk it over. If you have paid, tell us how much and to which account so we can stop it.',
      },
    },
  },
  {
    scamType: 'other',
    audience: 'elderly',
    zh: {
      sms: '【反诈中心】大爷大妈：“包治百病”的保健品、免费体检后推销的“神药”都是骗局。买药请去正规医院药店，先问子女。',
      push: {
        title: '警惕保健品骗局',
        body: '保健品不能治病。“专家义诊”后高价推销的产品，请先问医生和子女。',
      },
      script: {
        title: '老年人保健品劝阻话术',
        body:
          '请说话慢一些、声音大一些，必要时请老人的子女一起听。\n' +
          '大爷/大妈您好，我是反诈中心的民警。最近是不是有人打电话或在讲座上说某种保健品能治高血压、糖尿病、癌症，或者“专家”“老中医”给您免费看病后推荐高价产品，还说现在买有优惠、能返钱？\n' +
          '保健品不是药，不能代替药品治病。正规医院和药店不会打电话推销，也不会让您转账到个人账户。\n' +
          '请先不要付款，身体不舒服请到正规医院看病。我们可以帮您联系子女。已经付款的，请告诉我们金额和对方账户。',
      },
    },
    en: {
      sms: 'Anti-Fraud Centre: supplements that "cure everything" and "miracle medicine" sold after free check-ups are scams. Ask your doctor and family first.',
      push: {
        title: 'Health product scam?',
        body: 'Supplements do not cure illness. Ask a doctor and your family before buying after a "free check-up".',
      },
      script: {
        title: 'Elderly, health products: dissuasion script',
        body:
          'Speak slowly and clearly; if possible ask a son or daughter to listen too.\n' +
          'Hello, I am from the police anti-fraud centre. Has someone called you, or spoken at a talk, saying a supplement cures high blood pressure, diabetes or cancer, or has an "expert" given you a free check-up and then offered expensive products with a discount or cash back?\n' +
          'Supplements are not medicine and do not cure illness. Real hospitals and pharmacies do not sell by phone or ask for transfers to personal accounts.\n' +
          'Please do not pay; see a doctor at a hospital if you feel unwell. We can call your family. If you have paid, tell us how much and to which account.',
      },
    },
  },
  {
    scamType: 'romance',
    audience: 'elderly',
    zh: {
      sms: '【反诈中心】网上认识的“老伴”“知己”从未见面就借钱、让您投资或寄钱的，都是诈骗。请先和家人商量，拨96110。',
      push: {
        title: '警惕网上交友骗局',
        body: '没见过面的网友找您借钱、带您投资，都是诈骗。转账前请和家人商量。',
      },
      script: {
        title: '老年人网上交友（陪伴）劝阻话术',
        body:
          '请说话慢一些、语气温和，不要指责；必要时请老人的子女一起听。\n' +
          '您好，我是反诈中心的民警。您最近是不是在网上认识了一位很关心您的朋友，对方说自己是军人、海外医生或生意人，还没见过面，就说家里出事、海关扣了礼物需要交钱，或者带您一起投资？\n' +
          '这样的人我们见过很多，照片和身份都是假的，目的就是让您转账。真心的朋友不会一直找您要钱。\n' +
          '请先不要转账，可以和家人一起商量；您愿意的话，我们的民警也可以上门和您聊聊。已经转账的，请告诉我们金额和对方账户。',
      },
    },
    en: {
      sms: 'Anti-Fraud Centre: an online friend you have never met who asks for money, gifts or investments is a scammer. Talk to your family, call 96110.',
      push: {
        title: 'Online friend asking for money?',
        body: 'Someone you never met who asks you to lend, send or invest money is a scammer. Talk to family first.',
      },
      script: {
        title: 'Elderly, online companionship: dissuasion script',
        body:
          'Speak slowly and kindly, without blame; if possible ask a son or daughter to listen too.\n' +
          'Hello, I am from the police anti-fraud centre. Have you recently met a caring friend online, perhaps a soldier, a doctor abroad or a businessman, whom you have never met in person, who now needs money for an emergency or customs fees, or wants you to invest together?\n' +
          'We have seen many such cases: the photos and stories are false and the aim is your money. A real friend does not keep asking for money.\n' +
          'Please do not transfer anything; talk it over with your family, and if you like an officer can visit you. If you have paid, tell us how much and to which account.',
      },
    },
  },
];
