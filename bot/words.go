package bot

// wordList feeds GeneratePassphrase: common, unambiguous, easy to spell
// over the phone. 164 words ≈ 7.4 bits each.
var wordList = [...]string{
	"acorn", "amber", "anchor", "apple", "arrow", "aspen", "atlas", "autumn",
	"badge", "bamboo", "banjo", "basil", "beacon", "berry", "birch", "bison",
	"blanket", "blossom", "bracket", "breeze", "brick", "bridge", "bronze", "brook",
	"bucket", "cabin", "cactus", "camel", "candle", "canoe", "canyon", "carbon",
	"cargo", "castle", "cedar", "cellar", "chalk", "cherry", "chimney", "cinder",
	"circle", "citrus", "clover", "cobalt", "comet", "copper", "coral", "cotton",
	"crater", "crystal", "dancer", "delta", "desert", "dolphin", "dragon", "drift",
	"eagle", "echo", "ember", "engine", "falcon", "fern", "fiddle", "flint",
	"forest", "fossil", "fountain", "galaxy", "garden", "garnet", "ginger", "glacier",
	"granite", "gravel", "harbor", "harvest", "hazel", "helmet", "heron", "hollow",
	"honey", "horizon", "island", "ivory", "jacket", "jasper", "jungle", "kettle",
	"kernel", "lantern", "lava", "lemon", "lilac", "linen", "lizard", "lotus",
	"magnet", "mango", "maple", "marble", "meadow", "meteor", "mirror", "mitten",
	"monsoon", "mosaic", "nectar", "nickel", "oasis", "ocean", "olive", "orbit",
	"orchid", "otter", "paddle", "panda", "parcel", "pebble", "pepper", "piano",
	"pillow", "pine", "planet", "plum", "pocket", "pollen", "prairie", "pumpkin",
	"quartz", "quiet", "rabbit", "radar", "raven", "reef", "ribbon", "river",
	"rocket", "saddle", "salmon", "satin", "shadow", "shell", "silver", "sketch",
	"sparrow", "spruce", "squash", "summit", "sunset", "tablet", "thistle", "thunder",
	"timber", "tulip", "tundra", "turtle", "velvet", "violet", "walnut", "willow",
	"window", "winter", "yonder", "zebra",
}
